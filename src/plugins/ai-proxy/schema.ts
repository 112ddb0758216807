// ai-proxy: the configuration of Kong 3.9's LLM gateway plugin (the shared LLM schema of
// kong/llm plus ai-proxy's own fields), with the same fields, defaults and entity checks.
import { f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { pluginSchema } from '../definition.js'

export const PROVIDERS = [
  'openai',
  'azure',
  'anthropic',
  'cohere',
  'mistral',
  'llama2',
  'gemini',
  'bedrock',
  'huggingface',
] as const

export const ROUTE_TYPES = ['llm/v1/chat', 'llm/v1/completions', 'preserve'] as const

/** Route types for which a provider reports no usage (Kong refuses log_statistics with them). */
const UNSUPPORTED_LOG_STATISTICS: Record<string, readonly string[]> = {
  'llm/v1/completions': ['anthropic'],
}

const secret = f.string({ required: false, encrypted: true, referenceable: true })
const ref = f.string({ required: false, referenceable: true })

const auth = f.record(
  {
    header_name: ref,
    header_value: secret,
    param_name: ref,
    param_value: secret,
    param_location: f.string({ required: false, one_of: ['query', 'body'] }),
    azure_use_managed_identity: f.boolean({ required: false, default: false }),
    azure_client_id: ref,
    azure_client_secret: secret,
    azure_tenant_id: ref,
    gcp_use_service_account: f.boolean({ required: false, default: false }),
    gcp_service_account_json: secret,
    aws_access_key_id: secret,
    aws_secret_access_key: secret,
    allow_override: f.boolean({ required: false, default: false }),
  },
  { required: false },
)

const gemini = f.record(
  {
    api_endpoint: f.string({ required: false }),
    project_id: f.string({ required: false }),
    location_id: f.string({ required: false }),
  },
  {
    required: false,
    entity_checks: [{ mutually_required: ['api_endpoint', 'project_id', 'location_id'] }],
  },
)

const bedrock = f.record(
  {
    aws_region: f.string({ required: false }),
    aws_assume_role_arn: f.string({ required: false }),
    aws_role_session_name: f.string({ required: false }),
    aws_sts_endpoint_url: f.string({ required: false }),
  },
  { required: false },
)

const huggingface = f.record(
  {
    use_cache: f.boolean({ required: false }),
    wait_for_model: f.boolean({ required: false }),
  },
  { required: false },
)

const options = f.record(
  {
    max_tokens: f.integer({ required: false, default: 256 }),
    input_cost: f.number({ required: false, gt: 0 }),
    output_cost: f.number({ required: false, gt: 0 }),
    temperature: f.number({ required: false, between: [0, 5] }),
    top_p: f.number({ required: false, between: [0, 1] }),
    top_k: f.integer({ required: false, between: [0, 500] }),
    anthropic_version: f.string({ required: false }),
    azure_instance: f.string({ required: false }),
    azure_api_version: f.string({ required: false, default: '2023-05-15' }),
    azure_deployment_id: f.string({ required: false }),
    llama2_format: f.string({ required: false, one_of: ['raw', 'openai', 'ollama'] }),
    mistral_format: f.string({ required: false, one_of: ['openai', 'ollama'] }),
    upstream_url: { ...typedefs.url, required: false },
    upstream_path: f.string({ required: false }),
    gemini,
    bedrock,
    huggingface,
  },
  { required: false },
)

const model = f.record(
  {
    provider: f.string({ required: true, one_of: PROVIDERS }),
    name: f.string({ required: false }),
    options,
  },
  { required: true },
)

const logging = f.record(
  {
    log_statistics: f.boolean({ required: true, default: false }),
    log_payloads: f.boolean({ required: true, default: false }),
  },
  { required: true },
)

function requireOption(providers: string[], option: string, err: string) {
  return {
    conditional_at_least_one_of: {
      if_field: 'model.provider',
      if_match: { one_of: providers },
      then_at_least_one_of: [`model.options.${option}`],
      then_err: err,
    },
  }
}

export default pluginSchema({
  name: 'ai-proxy',
  protocols: typedefs.protocolsHttp,
  config: {
    route_type: f.string({ required: true, one_of: ROUTE_TYPES }),
    auth,
    model,
    logging,
    response_streaming: f.string({ required: false, default: 'allow', one_of: ['allow', 'deny', 'always'] }),
    max_request_body_size: f.integer({ default: 8 * 1024, gt: 0 }),
    model_name_header: f.boolean({ default: true }),
  },
  configChecks: [
    {
      conditional: {
        if_field: 'model.provider',
        if_match: { one_of: ['bedrock', 'gemini'] },
        then_field: 'auth.allow_override',
        then_match: { eq: false },
        then_err: 'bedrock and gemini only support auth.allow_override = false',
      },
    },
    { mutually_required: ['auth.header_name', 'auth.header_value'] },
    { mutually_required: ['auth.param_name', 'auth.param_value', 'auth.param_location'] },
    requireOption(['llama2'], 'llama2_format', 'must set %s for llama2 provider'),
    requireOption(['mistral'], 'mistral_format', 'must set %s for mistral provider'),
    requireOption(['anthropic'], 'anthropic_version', 'must set %s for anthropic provider'),
    requireOption(['azure'], 'azure_instance', 'must set %s for azure provider'),
    requireOption(['azure'], 'azure_api_version', 'must set %s for azure provider'),
    requireOption(['azure'], 'azure_deployment_id', 'must set %s for azure provider'),
    requireOption(['llama2'], 'upstream_url', 'must set %s for self-hosted providers/models'),
    {
      custom_entity_check: {
        field_sources: ['route_type', 'model', 'logging'],
        fn: (config) => {
          const logging = config.logging as { log_statistics?: boolean } | null
          const model = config.model as { provider?: string } | null
          const routeType = config.route_type as string
          const provider = model?.provider ?? ''
          if (logging?.log_statistics !== true) return true
          if (routeType === 'preserve' || UNSUPPORTED_LOG_STATISTICS[routeType]?.includes(provider))
            return `${provider} does not support statistics when route_type is ${routeType}`
          return true
        },
      },
    },
  ],
})

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { identify } from './handler.js'
import {
  endpointOf,
  formatOf,
  llamaPrompt,
  type ModelConf,
  type ModelOptions,
  newStreamState,
  streamChunk,
} from './providers.js'

const NO_OPTIONS: ModelOptions = {
  max_tokens: 256,
  temperature: null,
  top_p: null,
  top_k: null,
  anthropic_version: null,
  azure_instance: null,
  azure_api_version: '2023-05-15',
  azure_deployment_id: null,
  llama2_format: null,
  mistral_format: null,
  upstream_url: null,
  upstream_path: null,
  input_cost: null,
  output_cost: null,
  gemini: null,
  bedrock: null,
  huggingface: null,
}

const model = (provider: string, options: Partial<ModelOptions> = {}): ModelConf => ({
  provider,
  name: null,
  options: { ...NO_OPTIONS, ...options },
})

describe('ai-proxy: provider endpoints', () => {
  it('uses each provider default host and operation path', () => {
    const chat = (m: ModelConf, name = 'm') => endpointOf(m, 'llm/v1/chat', name, false)
    assert.deepEqual(chat(model('openai')), {
      scheme: 'https',
      host: 'api.openai.com',
      port: 443,
      path: '/v1/chat/completions',
      query: {},
    })
    assert.equal(endpointOf(model('openai'), 'llm/v1/completions', 'm', false)?.path, '/v1/completions')
    assert.equal(chat(model('anthropic'))?.host, 'api.anthropic.com')
    assert.equal(chat(model('anthropic'))?.path, '/v1/messages')
    assert.equal(endpointOf(model('anthropic'), 'llm/v1/completions', 'm', false)?.path, '/v1/complete')
    assert.equal(chat(model('cohere'))?.path, '/v1/chat')
    assert.equal(chat(model('mistral', { mistral_format: 'openai' }))?.host, 'api.mistral.ai')
    assert.equal(chat(model('mistral', { mistral_format: 'ollama' })), null, 'ollama needs upstream_url')
    assert.equal(chat(model('huggingface'), 'gpt2')?.path, '/models/gpt2/v1/chat/completions')
    assert.equal(chat(model('gemini'), 'gemini-pro')?.path, '/v1beta/models/gemini-pro:generateContent')
    assert.equal(
      chat(model('bedrock', { bedrock: { aws_region: 'eu-west-1' } }), 'a.b:0')?.host,
      'bedrock-runtime.eu-west-1.amazonaws.com',
    )
    assert.equal(
      chat(model('bedrock', { bedrock: { aws_region: 'eu-west-1' } }), 'a.b:0')?.path,
      '/model/a.b%3A0/converse',
    )
  })

  it('builds the azure deployment URL with its api-version', () => {
    const m = model('azure', {
      azure_instance: 'inst',
      azure_deployment_id: 'dep',
      azure_api_version: '2024-02-01',
    })
    assert.deepEqual(endpointOf(m, 'llm/v1/chat', null, false), {
      scheme: 'https',
      host: 'inst.openai.azure.com',
      port: 443,
      path: '/openai/deployments/dep/chat/completions',
      query: { 'api-version': '2024-02-01' },
    })
    assert.equal(
      endpointOf(m, 'llm/v1/completions', null, false)?.path,
      '/openai/deployments/dep/completions',
    )
  })

  it('uses Vertex when gemini has api_endpoint, project and location; streams with alt=sse', () => {
    const m = model('gemini', { gemini: { api_endpoint: 'eu.example', project_id: 'p', location_id: 'l' } })
    const ep = endpointOf(m, 'llm/v1/chat', 'gemini-pro', true)
    assert.equal(ep?.host, 'eu.example')
    assert.equal(
      ep?.path,
      '/v1/projects/p/locations/l/publishers/google/models/gemini-pro:streamGenerateContent',
    )
    assert.deepEqual(ep?.query, { alt: 'sse' })
  })

  it('prefers upstream_url (its path too), then upstream_path', () => {
    const ep = endpointOf(
      model('openai', { upstream_url: 'http://127.0.0.1:8080/custom?x=1' }),
      'llm/v1/chat',
      'm',
      false,
    )
    assert.deepEqual(ep, {
      scheme: 'http',
      host: '127.0.0.1',
      port: 8080,
      path: '/custom',
      query: { x: '1' },
    })
    assert.equal(endpointOf(model('openai', { upstream_path: '/p' }), 'llm/v1/chat', 'm', false)?.path, '/p')
    assert.equal(
      endpointOf(model('openai'), 'preserve', 'm', false)?.path,
      '',
      'preserve keeps the client path',
    )
  })

  it('knows which formats it translates', () => {
    assert.equal(formatOf(model('llama2', { llama2_format: 'raw' }), 'llm/v1/chat'), 'llama2-raw')
    assert.equal(formatOf(model('mistral'), 'llm/v1/chat'), null)
    assert.equal(formatOf(model('llama2', { llama2_format: 'openai' }), 'llm/v1/chat'), 'openai')
    assert.equal(formatOf(model('huggingface'), 'llm/v1/completions'), 'hf-text')
  })
})

describe('ai-proxy: llama2 raw prompts', () => {
  it('builds the [INST] template with the system prompt in the first turn', () => {
    assert.equal(
      llamaPrompt([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
        { role: 'user', content: 'Bye' },
      ]),
      '<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello </s><s>[INST] Bye [/INST]',
    )
  })
})

describe('ai-proxy: streams', () => {
  it('re-assembles SSE events split across chunks and ends with [DONE]', () => {
    const st = newStreamState()
    const ev = (text: string) =>
      `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', delta: { text } })}\n\n`
    const all = ev('a') + ev('b')
    let out = ''
    for (let i = 0; i < all.length; i += 7)
      out += streamChunk('anthropic', 'llm/v1/chat', st, all.slice(i, i + 7), false)
    out += streamChunk('anthropic', 'llm/v1/chat', st, '', true)
    const frames = out.split('\n\n').filter((f) => f !== '')
    assert.equal(frames.length, 3)
    assert.equal(frames[2], 'data: [DONE]')
    assert.equal(st.text, 'ab')
    assert.equal(st.events, 2)
  })

  it('reads the usage an OpenAI stream reports', () => {
    const st = newStreamState()
    streamChunk(
      'openai',
      'llm/v1/chat',
      st,
      `data: ${JSON.stringify({ model: 'x', choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } })}\n\ndata: [DONE]\n\n`,
      true,
    )
    assert.deepEqual(st.usage, { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 })
    assert.equal(st.model, 'x')
  })
})

describe('ai-proxy: request formats', () => {
  it('identifies chat and completions requests as Kong does', () => {
    assert.deepEqual(identify({ messages: [{ role: 'user', content: 'x' }] }), { format: 'llm/v1/chat' })
    assert.deepEqual(identify({ prompt: 'x' }), { format: 'llm/v1/completions' })
    assert.deepEqual(identify({ messages: [] }), { error: 'request format not recognised' })
    assert.deepEqual(identify({ prompt: 'x', messages: [{}] }), {
      error: 'request matches multiple LLM request formats',
    })
  })
})

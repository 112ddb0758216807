import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Detector, Match } from './detect.js'
import { validateRegex } from './regex.js'
import { BOT_RULES } from './rules.js'

const CHROME =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/50.0.2661.102 Safari/537.36'

describe('bot-detection rules', () => {
  it('ships the 14 patterns of Kong, all usable', () => {
    assert.equal(BOT_RULES.length, 14)
    for (const r of BOT_RULES) assert.equal(validateRegex(r), undefined, r)
  })

  it('flags crawlers, HTTP libraries and generic bot names', () => {
    const d = new Detector([], [])
    for (const ua of [
      'Googlebot/2.1 (+http://www.google.com/bot.html)',
      'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
      'Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)',
      'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)',
      'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
      'Twitterbot/1.0',
      'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
      'Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)',
      'Python-urllib/3.9',
      'Go-http-client/1.1',
      'Apache-HttpClient/4.5.13 (Java/11.0.2)',
      'okhttp/4.9.0',
      'axios/1.6.0',
      'reqwest/0.11',
      'unirest-java/3.1.0',
      'Boto3/1.26.0 Python/3.10',
      'aws-sdk-go/1.44.0 (go1.19; linux; amd64)',
      'aws-cli/2.9.0 Python/3.9',
      's3fs/1.91',
      'MyCoolBot/1.0',
      'SuperSpider 2.1',
      'mega-crawler/3.0',
      'Scrapy/2.11 (+https://scrapy.org)',
      'TheWebArchiver/1.0',
    ]) {
      assert.equal(d.examine(ua), Match.Bot, ua)
    }
  })

  it('lets browsers and common command-line clients through', () => {
    const d = new Detector([], [])
    for (const ua of [
      CHROME,
      'curl/7.43.0',
      'Wget/1.21',
      'python-requests/2.31.0',
      'PostmanRuntime/7.36.0',
      '',
    ]) {
      assert.equal(d.examine(ua), Match.None, ua)
    }
  })
})

describe('Detector', () => {
  it('allow wins over deny and the built-in list; deny blocks anything', () => {
    const d = new Detector(['facebookexternalhit', '^HelloWorld'], ['HelloWorld', 'curl'])
    assert.equal(d.examine('facebookexternalhit/1.1'), Match.Allow)
    assert.equal(d.examine('HelloWorld'), Match.Allow)
    assert.equal(d.examine('Say HelloWorld'), Match.Deny)
    assert.equal(d.examine('curl/8.0'), Match.Deny)
    assert.equal(d.examine('Googlebot/2.1'), Match.Bot)
  })

  it('matches after stripping surrounding white space, case-sensitively, PCRE syntax included', () => {
    const d = new Detector([], ['^curl/', '(?i)^wget'])
    assert.equal(d.examine('  curl/7.0 \t'), Match.Deny)
    assert.equal(d.examine('Curl/7.0'), Match.None)
    assert.equal(d.examine('WGET/1.0'), Match.Deny)
  })

  it('caches results per User-Agent', () => {
    const d = new Detector([], [])
    assert.equal(d.examine('curl/1'), d.examine('curl/1'))
    for (let i = 0; i < 10_050; i++) d.examine(`agent-${i}`)
    assert.equal(d.examine('Googlebot/2.1'), Match.Bot)
  })

  it('validates regexes as PCRE', () => {
    assert.equal(validateRegex('(?i)bot'), undefined)
    assert.equal(validateRegex('[a-'), 'not a valid regex: [a-')
    assert.equal(validateRegex('a(?<n>b)'), undefined)
  })
})

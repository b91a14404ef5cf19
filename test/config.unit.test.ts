import { describe, expect, it } from 'bun:test';
import { ConfigError, loadConfig } from '../src/config';

describe('configuration', () => {
  it('defaults to 127.0.0.1:8000, data/ and the CORS origin of a local dev UI', () => {
    const c = loadConfig({});
    expect([c.host, c.port, c.corsOrigins, c.sqliteSynchronous]).toEqual(['127.0.0.1', 8000, ['http://localhost:5173'], 'NORMAL']);
    expect(c.dataDir.endsWith('/data')).toBe(true);
    // Unset: the OpenAPI document names the address actually bound (PORT=0 is only known then).
    expect(c.openapiServers).toBeUndefined();
  });

  it('reports every bad value at once, each with its variable name', () => {
    try {
      loadConfig({ PORT: 'eighty', VOXLOG_MAX_FRAME_BYTES: '-1', VOXLOG_SQLITE_SYNCHRONOUS: 'sometimes', VOXLOG_CORS_ORIGINS: 'not a url' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      for (const name of ['PORT', 'VOXLOG_MAX_FRAME_BYTES', 'VOXLOG_SQLITE_SYNCHRONOUS', 'VOXLOG_CORS_ORIGINS']) expect(problems).toContain(name);
    }
  });

  it('takes lists from comma-separated values', () => {
    const c = loadConfig({ VOXLOG_CORS_ORIGINS: 'https://a.example, https://b.example', VOXLOG_OPENAPI_SERVERS: 'https://stt.example' });
    expect(c.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(c.openapiServers).toEqual(['https://stt.example']);
  });

  it('refuses a default model that is not a recognizer in the catalog', () => {
    for (const id of ['nope', 'silero-vad']) {
      expect(() => loadConfig({ VOXLOG_DEFAULT_MODEL: id })).toThrow(`VOXLOG_DEFAULT_MODEL=${id} is not a recognizer in the catalog`);
    }
    expect(loadConfig({ VOXLOG_DEFAULT_MODEL: 'gigaspeech-zipformer-3.3M-en-greedy' }).defaultModel).toBe('gigaspeech-zipformer-3.3M-en-greedy');
  });

  it('writes text with voxlog\'s own punctuation model unless told to use a punctuation entry of the catalog', () => {
    expect(loadConfig({}).punctuationModel).toBe('voxlog-punct-en');
    expect(loadConfig({ VOXLOG_PUNCTUATION_MODEL: 'sherpa-onnx-online-punct-en-2024-08-06' }).punctuationModel).toBe('sherpa-onnx-online-punct-en-2024-08-06');
    for (const id of ['nope', 'silero-vad', 'gigaspeech-zipformer-3.3M-en']) {
      expect(() => loadConfig({ VOXLOG_PUNCTUATION_MODEL: id })).toThrow(`VOXLOG_PUNCTUATION_MODEL=${id} is not a punctuation model`);
    }
  });
});

const sherpa = require('sherpa-onnx-node');
const dir = '../shared/models/tiny-streaming-lstm-ctc-en';
const rec = new sherpa.OnlineRecognizer({
  featConfig: { sampleRate: 16000, featureDim: 80 },
  modelConfig: { zipformer2Ctc: { model: `${dir}/model.onnx` }, tokens: `${dir}/tokens.txt`, numThreads: 1, provider: 'cpu', debug: 0 },
  decodingMethod: 'greedy_search', enableEndpoint: 1, rule1MinTrailingSilence: 2.4, rule2MinTrailingSilence: 1.2, rule3MinUtteranceLength: 20,
});
const a = sherpa.readWave('../shared/audio/synthetic-seen/seen_0002_awb.wav').samples;
const b = sherpa.readWave('../shared/audio/synthetic-seen/seen_0005_awb.wav').samples;
const sil = (s) => new Float32Array(16000*s);
const parts = [sil(1), a, sil(1.5), b, sil(2)];
const all = new Float32Array(parts.reduce((n,p)=>n+p.length,0)); let o=0; for (const p of parts){all.set(p,o);o+=p.length;}
console.log('a ends at', (16000+a.length)/16000, 'b starts', (16000+a.length+24000)/16000);
for (const step of [1600, 5120, 333]) {
const s = rec.createStream(); const finals=[];
for (let i=0;i<all.length;i+=step){ s.acceptWaveform({samples: all.subarray(i,i+step), sampleRate:16000}); while(rec.isReady(s)) rec.decode(s);
 if (rec.isEndpoint(s)) { const r = rec.getResult(s); if (r.text.trim()) finals.push(`${(i+step)/16000}s st=${r.start_time} seg=${r.segment} ts0=${r.timestamps[0]} tsN=${r.timestamps.at(-1)} ${r.text}`); rec.reset(s);} }
console.log(step, finals);
}

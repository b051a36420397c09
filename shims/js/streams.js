// ReadableStream, WritableStream and TransformStream (default readers and writers; no BYOB
// readers), queuing strategies, and the text and compression streams. Compression runs on
// the host (flate2) when the writable side closes: the whole input is compressed at once, and
// decompression stops at the node's memory limit.
class CountQueuingStrategy {
  #hwm;
  constructor({ highWaterMark }) { this.#hwm = Number(highWaterMark); }
  get highWaterMark() { return this.#hwm; }
  get size() { return () => 1; }
}
class ByteLengthQueuingStrategy {
  #hwm;
  constructor({ highWaterMark }) { this.#hwm = Number(highWaterMark); }
  get highWaterMark() { return this.#hwm; }
  get size() { return (chunk) => chunk.byteLength; }
}
function __deferred() {
  let resolve, reject;
  const promise = new __Promise((a, b) => { resolve = a; reject = b; });
  return { promise, resolve, reject };
}
const __streamToken = Symbol("stream");
class ReadableStreamDefaultController {
  #s;
  constructor(token, s) { if (token !== __streamToken) throw new TypeError("Illegal constructor"); this.#s = s; }
  get desiredSize() { return ReadableStream._desired(this.#s); }
  enqueue(chunk) { ReadableStream._enqueue(this.#s, chunk); }
  close() { ReadableStream._closeRequested(this.#s); }
  error(e) { ReadableStream._error(this.#s, e); }
}
class ReadableStreamDefaultReader {
  #s; #closed;
  constructor(stream) {
    if (!(stream instanceof ReadableStream)) throw new TypeError("ReadableStreamDefaultReader: expected a ReadableStream");
    if (stream.locked) throw new TypeError("ReadableStreamDefaultReader: the stream is locked");
    this.#s = stream;
    this.#closed = ReadableStream._lock(stream, this);
  }
  get closed() { return this.#closed; }
  read() {
    if (this.#s === null) return __Promise.reject(new TypeError("read: the reader was released"));
    return ReadableStream._read(this.#s);
  }
  cancel(reason) {
    if (this.#s === null) return __Promise.reject(new TypeError("cancel: the reader was released"));
    return ReadableStream._cancel(this.#s, reason);
  }
  releaseLock() {
    if (this.#s === null) return;
    ReadableStream._unlock(this.#s);
    this.#s = null;
  }
}
class ReadableStream {
  #state = "readable"; #queue = []; #queued = 0; #error; #reader = null; #reads = [];
  #closeRequested = false; #pulling = false; #pullAgain = false; #started = false; #disturbed = false;
  #source; #hwm; #size; #controller; #closedWaiter = null;
  constructor(source = {}, strategy = {}) {
    source = source || {};
    if (source.type === "bytes") throw new DOMException("ReadableStream: byte streams (type: \"bytes\") are not supported in this sandbox", "NotSupportedError");
    this.#source = source;
    this.#hwm = strategy.highWaterMark === undefined ? 1 : Number(strategy.highWaterMark);
    this.#size = typeof strategy.size === "function" ? strategy.size : () => 1;
    this.#controller = new ReadableStreamDefaultController(__streamToken, this);
    let start;
    try { start = source.start ? source.start.call(source, this.#controller) : undefined; } catch (e) { throw e; }
    __Promise.resolve(start).then(() => { this.#started = true; this.#pullIfNeeded(); }, (e) => ReadableStream._error(this, e));
  }
  get locked() { return this.#reader !== null; }
  _disturbed() { return this.#disturbed; }
  static _desired(s) {
    if (s.#state === "errored") return null;
    if (s.#state === "closed") return 0;
    return s.#hwm - s.#queued;
  }
  #pullIfNeeded() {
    if (!this.#started || this.#state !== "readable" || this.#closeRequested || !this.#source.pull) return;
    if (!(this.#reads.length > 0 || ReadableStream._desired(this) > 0)) return;
    if (this.#pulling) { this.#pullAgain = true; return; }
    this.#pulling = true;
    let p;
    try { p = this.#source.pull.call(this.#source, this.#controller); } catch (e) { ReadableStream._error(this, e); return; }
    __Promise.resolve(p).then(() => {
      this.#pulling = false;
      if (this.#pullAgain) { this.#pullAgain = false; this.#pullIfNeeded(); }
    }, (e) => ReadableStream._error(this, e));
  }
  static _enqueue(s, chunk) {
    if (s.#closeRequested || s.#state !== "readable") throw new TypeError("enqueue: the stream is closed or errored");
    if (s.#reads.length > 0) {
      s.#reads.shift().resolve({ value: chunk, done: false });
    } else {
      let size;
      try { size = Number(s.#size(chunk)); } catch (e) { ReadableStream._error(s, e); throw e; }
      s.#queue.push([chunk, size]);
      s.#queued += size;
    }
    s.#pullIfNeeded();
  }
  static _closeRequested(s) {
    if (s.#closeRequested || s.#state !== "readable") throw new TypeError("close: the stream is already closing or closed");
    s.#closeRequested = true;
    if (s.#queue.length === 0) s.#finish();
  }
  #finish() {
    this.#state = "closed";
    for (const r of this.#reads) r.resolve({ value: undefined, done: true });
    this.#reads = [];
    if (this.#closedWaiter) this.#closedWaiter.resolve(undefined);
  }
  static _error(s, e) {
    if (s.#state !== "readable") return;
    s.#state = "errored";
    s.#error = e;
    s.#queue = [];
    s.#queued = 0;
    for (const r of s.#reads) r.reject(e);
    s.#reads = [];
    if (s.#closedWaiter) { s.#closedWaiter.promise.catch(() => {}); s.#closedWaiter.reject(e); }
  }
  static _lock(s, reader) {
    s.#reader = reader;
    s.#closedWaiter = __deferred();
    if (s.#state === "closed") s.#closedWaiter.resolve(undefined);
    else if (s.#state === "errored") { s.#closedWaiter.promise.catch(() => {}); s.#closedWaiter.reject(s.#error); }
    return s.#closedWaiter.promise;
  }
  static _unlock(s) {
    const e = new TypeError("the reader was released");
    for (const r of s.#reads) r.reject(e);
    s.#reads = [];
    if (s.#closedWaiter && s.#state === "readable") { s.#closedWaiter.promise.catch(() => {}); s.#closedWaiter.reject(e); }
    s.#reader = null;
  }
  static _read(s) {
    s.#disturbed = true;
    if (s.#state === "errored") return __Promise.reject(s.#error);
    if (s.#queue.length > 0) {
      const [chunk, size] = s.#queue.shift();
      s.#queued -= size;
      if (s.#closeRequested && s.#queue.length === 0) s.#finish();
      else s.#pullIfNeeded();
      return __Promise.resolve({ value: chunk, done: false });
    }
    if (s.#state === "closed") return __Promise.resolve({ value: undefined, done: true });
    const d = __deferred();
    s.#reads.push(d);
    s.#pullIfNeeded();
    return d.promise;
  }
  static _cancel(s, reason) {
    s.#disturbed = true;
    if (s.#state === "closed") return __Promise.resolve(undefined);
    if (s.#state === "errored") return __Promise.reject(s.#error);
    s.#queue = [];
    s.#queued = 0;
    s.#finish();
    try {
      return __Promise.resolve(s.#source.cancel ? s.#source.cancel.call(s.#source, reason) : undefined).then(() => undefined);
    } catch (e) {
      return __Promise.reject(e);
    }
  }
  cancel(reason) {
    if (this.locked) return __Promise.reject(new TypeError("cancel: the stream is locked"));
    return ReadableStream._cancel(this, reason);
  }
  getReader(options = {}) {
    if (options && options.mode === "byob") throw new DOMException("getReader: BYOB readers are not supported in this sandbox", "NotSupportedError");
    return new ReadableStreamDefaultReader(this);
  }
  async *values({ preventCancel = false } = {}) {
    const reader = this.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      if (!preventCancel) await reader.cancel().catch(() => {});
      reader.releaseLock();
    }
  }
  [Symbol.asyncIterator](options) { return this.values(options); }
  tee() {
    const reader = this.getReader();
    let branches;
    let canceled = 0;
    const pump = async () => {
      const { value, done } = await reader.read();
      for (const c of branches) {
        try { if (done) c.close(); else c.enqueue(value); } catch (_) { /* that branch was canceled */ }
      }
    };
    const controllers = [];
    const make = () => new ReadableStream({
      start(c) { controllers.push(c); },
      pull: () => pump().catch((e) => { for (const c of controllers) c.error(e); }),
      cancel: (r) => { if (++canceled === 2) return reader.cancel(r); },
    });
    const a = make(), b = make();
    branches = controllers;
    return [a, b];
  }
  async pipeTo(dest, { preventClose = false, preventAbort = false, preventCancel = false, signal } = {}) {
    if (!(dest instanceof WritableStream)) throw new TypeError("pipeTo: expected a WritableStream");
    const reader = this.getReader();
    const writer = dest.getWriter();
    let aborted = null;
    const off = signal ? AbortSignal._onAbort(signal, (reason) => { aborted = reason; }) : () => {};
    try {
      for (;;) {
        if (aborted !== null) throw aborted;
        const { value, done } = await reader.read();
        if (done) break;
        await writer.ready;
        await writer.write(value);
      }
      if (!preventClose) await writer.close();
    } catch (e) {
      if (!preventAbort) await writer.abort(e).catch(() => {});
      if (!preventCancel) await reader.cancel(e).catch(() => {});
      throw e;
    } finally {
      off();
      reader.releaseLock();
      writer.releaseLock();
    }
  }
  pipeThrough({ writable, readable }, options) {
    this.pipeTo(writable, options).catch(() => {});
    return readable;
  }
  static from(iterable) {
    if (iterable instanceof ReadableStream) return iterable;
    const it = typeof iterable[Symbol.asyncIterator] === "function" ? iterable[Symbol.asyncIterator]() : iterable[Symbol.iterator]();
    return new ReadableStream({
      async pull(c) {
        const { value, done } = await it.next();
        if (done) c.close(); else c.enqueue(value);
      },
      async cancel(r) { if (typeof it.return === "function") await it.return(r); },
    }, { highWaterMark: 0 });
  }
  get [Symbol.toStringTag]() { return "ReadableStream"; }
}
// A stream of one chunk (a body held as bytes).
function __bytesStream(bytes) {
  return new ReadableStream({
    start(c) {
      if (bytes.length > 0) c.enqueue(bytes);
      c.close();
    },
  }, { highWaterMark: 0 });
}
// Reads a stream of Uint8Array chunks (or BufferSources) into one Uint8Array.
async function __readAllBytes(stream) {
  const reader = stream.getReader();
  const chunks = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (!(value instanceof Uint8Array)) {
        if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) { chunks.push(__u8(value, "body").slice()); continue; }
        throw new TypeError("a body stream must yield Uint8Array chunks");
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return chunks.length === 1 ? chunks[0] : __concatBytes(chunks);
}
class WritableStreamDefaultController {
  #s;
  constructor(token, s) { if (token !== __streamToken) throw new TypeError("Illegal constructor"); this.#s = s; }
  error(e) { WritableStream._error(this.#s, e); }
  get signal() { return WritableStream._signal(this.#s); }
}
class WritableStreamDefaultWriter {
  #s;
  constructor(stream) {
    if (!(stream instanceof WritableStream)) throw new TypeError("WritableStreamDefaultWriter: expected a WritableStream");
    if (stream.locked) throw new TypeError("WritableStreamDefaultWriter: the stream is locked");
    this.#s = stream;
    WritableStream._lock(stream, this);
  }
  get closed() { return WritableStream._closed(this.#s); }
  get ready() { return WritableStream._ready(this.#s); }
  get desiredSize() { return this.#s === null ? null : WritableStream._desired(this.#s); }
  write(chunk) { return this.#s === null ? __Promise.reject(new TypeError("write: the writer was released")) : WritableStream._write(this.#s, chunk); }
  close() { return this.#s === null ? __Promise.reject(new TypeError("close: the writer was released")) : WritableStream._close(this.#s); }
  abort(reason) { return this.#s === null ? __Promise.reject(new TypeError("abort: the writer was released")) : WritableStream._abort(this.#s, reason); }
  releaseLock() { if (this.#s !== null) { WritableStream._unlock(this.#s); this.#s = null; } }
}
class WritableStream {
  #sink; #state = "writable"; #error; #writer = null; #chain; #pending = 0; #hwm; #size;
  #closed = __deferred(); #abort = new AbortController(); #controller;
  constructor(sink = {}, strategy = {}) {
    this.#sink = sink || {};
    this.#hwm = strategy.highWaterMark === undefined ? 1 : Number(strategy.highWaterMark);
    this.#size = typeof strategy.size === "function" ? strategy.size : () => 1;
    this.#closed.promise.catch(() => {});
    this.#controller = new WritableStreamDefaultController(__streamToken, this);
    let start;
    try { start = this.#sink.start ? this.#sink.start.call(this.#sink, this.#controller) : undefined; } catch (e) { throw e; }
    this.#chain = __Promise.resolve(start).catch((e) => WritableStream._error(this, e));
  }
  get locked() { return this.#writer !== null; }
  getWriter() { return new WritableStreamDefaultWriter(this); }
  abort(reason) { return this.locked ? __Promise.reject(new TypeError("abort: the stream is locked")) : WritableStream._abort(this, reason); }
  close() { return this.locked ? __Promise.reject(new TypeError("close: the stream is locked")) : WritableStream._close(this); }
  static _lock(s, w) { s.#writer = w; }
  static _unlock(s) { s.#writer = null; }
  static _signal(s) { return s.#abort.signal; }
  static _closed(s) { return s.#closed.promise; }
  static _desired(s) { return s.#state === "errored" ? null : s.#state !== "writable" ? 0 : s.#hwm - s.#pending; }
  static _ready(s) { return s.#state === "errored" ? __Promise.reject(s.#error) : s.#pending < s.#hwm ? __Promise.resolve(undefined) : s.#chain.then(() => undefined); }
  static _error(s, e) {
    if (s.#state === "errored" || s.#state === "closed") return;
    s.#state = "errored";
    s.#error = e;
    s.#closed.reject(e);
  }
  static _write(s, chunk) {
    if (s.#state !== "writable") return __Promise.reject(s.#state === "errored" ? s.#error : new TypeError("write: the stream is closing or closed"));
    let size;
    try { size = Number(s.#size(chunk)); } catch (e) { return __Promise.reject(e); }
    s.#pending += size;
    const run = s.#chain.then(() => {
      if (s.#state === "errored") throw s.#error;
      return s.#sink.write ? s.#sink.write.call(s.#sink, chunk, s.#controller) : undefined;
    }).then(() => { s.#pending -= size; }, (e) => { s.#pending -= size; WritableStream._error(s, e); throw e; });
    s.#chain = run.catch(() => {});
    return run;
  }
  static _close(s) {
    if (s.#state !== "writable") return __Promise.reject(new TypeError("close: the stream is closing, closed or errored"));
    s.#state = "closing";
    const run = s.#chain.then(() => (s.#sink.close ? s.#sink.close.call(s.#sink) : undefined)).then(() => {
      s.#state = "closed";
      s.#closed.resolve(undefined);
    }, (e) => { s.#state = "writable"; WritableStream._error(s, e); throw e; });
    s.#chain = run.catch(() => {});
    return run;
  }
  static _abort(s, reason) {
    if (s.#state === "closed" || s.#state === "errored") return __Promise.resolve(undefined);
    s.#abort.abort(reason);
    WritableStream._error(s, reason);
    try {
      return __Promise.resolve(s.#sink.abort ? s.#sink.abort.call(s.#sink, reason) : undefined).then(() => undefined);
    } catch (e) {
      return __Promise.reject(e);
    }
  }
  get [Symbol.toStringTag]() { return "WritableStream"; }
}
class TransformStreamDefaultController {
  #rc; #ts;
  constructor(token, rc, ts) { if (token !== __streamToken) throw new TypeError("Illegal constructor"); this.#rc = rc; this.#ts = ts; }
  get desiredSize() { return this.#rc.desiredSize; }
  enqueue(chunk) { this.#rc.enqueue(chunk); }
  error(e) { this.#rc.error(e); TransformStream._errorWritable(this.#ts, e); }
  terminate() { try { this.#rc.close(); } catch (_) { /* already closed */ } }
}
class TransformStream {
  #readable; #writable; #writableController = null;
  constructor(transformer = {}, writableStrategy = {}, readableStrategy = { highWaterMark: 0 }) {
    transformer = transformer || {};
    let rc;
    const started = __deferred();
    this.#readable = new ReadableStream({
      start: (c) => { rc = c; return started.promise; },
      cancel: (reason) => { TransformStream._errorWritable(this, reason); return transformer.cancel ? transformer.cancel.call(transformer, reason) : undefined; },
    }, readableStrategy);
    const tc = new TransformStreamDefaultController(__streamToken, rc, this);
    const self = this;
    this.#writable = new WritableStream({
      start(c) { self.#writableController = c; return started.promise; },
      // A transform or flush that fails errors both sides, so a reader never waits forever.
      async write(chunk) {
        try {
          if (transformer.transform) await transformer.transform.call(transformer, chunk, tc);
          else tc.enqueue(chunk);
        } catch (e) { rc.error(e); throw e; }
      },
      async close() {
        try {
          if (transformer.flush) await transformer.flush.call(transformer, tc);
        } catch (e) { rc.error(e); throw e; }
        tc.terminate();
      },
      abort(reason) { rc.error(reason); return transformer.cancel ? transformer.cancel.call(transformer, reason) : undefined; },
    }, writableStrategy);
    let start;
    try { start = transformer.start ? transformer.start.call(transformer, tc) : undefined; } catch (e) { throw e; }
    __Promise.resolve(start).then(() => started.resolve(), (e) => { rc.error(e); started.reject(e); });
  }
  static _errorWritable(ts, e) { if (ts.#writableController) ts.#writableController.error(e); }
  get readable() { return this.#readable; }
  get writable() { return this.#writable; }
  get [Symbol.toStringTag]() { return "TransformStream"; }
}
class TextEncoderStream extends TransformStream {
  constructor() {
    let pending = "";
    super({
      transform(chunk, c) {
        let s = pending + String(chunk);
        pending = "";
        // A lone high surrogate at the end may pair with the next chunk.
        const last = s.charCodeAt(s.length - 1);
        if (last >= 0xd800 && last <= 0xdbff) { pending = s.slice(-1); s = s.slice(0, -1); }
        if (s.length > 0) c.enqueue(__native.utf8Encode(s.toWellFormed()));
      },
      flush(c) { if (pending !== "") c.enqueue(__native.utf8Encode(pending.toWellFormed())); },
    });
  }
  get encoding() { return "utf-8"; }
}
class TextDecoderStream extends TransformStream {
  #fatal; #ignoreBOM;
  constructor(label = "utf-8", options = {}) {
    const decoder = new TextDecoder(label, options);
    let carry = new Uint8Array(0);
    let first = true;
    // Emits the longest prefix that ends on a character boundary; keeps the rest.
    const cut = (bytes) => {
      let end = bytes.length;
      let i = end - 1, back = 0;
      while (i >= 0 && back < 3 && (bytes[i] & 0xc0) === 0x80) { i--; back++; }
      if (i >= 0) {
        const b = bytes[i];
        const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
        if (need > end - i) end = i;
      }
      return end;
    };
    const emit = (bytes, c) => {
      if (bytes.length === 0) return;
      const text = __native.utf8Decode(bytes, decoder.fatal, !first || decoder.ignoreBOM);
      first = false;
      if (text !== "") c.enqueue(text);
    };
    super({
      transform(chunk, c) {
        const bytes = __concatBytes([carry, __u8(chunk, "TextDecoderStream")]);
        const end = cut(bytes);
        carry = bytes.slice(end);
        emit(bytes.subarray(0, end), c);
      },
      flush(c) { emit(carry, c); },
    });
    this.#fatal = decoder.fatal;
    this.#ignoreBOM = decoder.ignoreBOM;
  }
  get encoding() { return "utf-8"; }
  get fatal() { return this.#fatal; }
  get ignoreBOM() { return this.#ignoreBOM; }
}
function __compressionStream(op, format, what) {
  format = String(format);
  if (!["gzip", "deflate", "deflate-raw"].includes(format)) throw new TypeError(`${what}: unsupported format "${format}" (gzip, deflate, deflate-raw)`);
  const chunks = [];
  return {
    transform(chunk) { chunks.push(__u8(chunk, what).slice()); },
    flush(c) {
      const out = __callService(__SERVICE.compression, { op, format }, [__concatBytes(chunks)]);
      chunks.length = 0;
      if (out.length > 0) c.enqueue(out);
    },
  };
}
class CompressionStream extends TransformStream {
  constructor(format) { super(__compressionStream("compress", format, "CompressionStream")); }
}
class DecompressionStream extends TransformStream {
  constructor(format) { super(__compressionStream("decompress", format, "DecompressionStream")); }
}
Object.assign(globalThis, {
  ReadableStream, ReadableStreamDefaultReader, ReadableStreamDefaultController,
  WritableStream, WritableStreamDefaultWriter, WritableStreamDefaultController,
  TransformStream, TransformStreamDefaultController, CountQueuingStrategy, ByteLengthQueuingStrategy,
  TextEncoderStream, TextDecoderStream, CompressionStream, DecompressionStream,
});

// TextEncoder / TextDecoder (UTF-8, native), atob / btoa (Latin-1 strings, as in browsers).
class TextEncoder {
  get encoding() { return "utf-8"; }
  encode(input = "") { return __native.utf8Encode(String(input).toWellFormed()); }
  encodeInto(input, dest) {
    let read = 0, written = 0;
    for (const ch of String(input).toWellFormed()) {
      const b = __native.utf8Encode(ch);
      if (written + b.length > dest.length) break;
      dest.set(b, written);
      written += b.length;
      read += ch.length;
    }
    return { read, written };
  }
}
class TextDecoder {
  #fatal; #ignoreBOM;
  constructor(label = "utf-8", options = {}) {
    const l = String(label).trim().toLowerCase();
    if (l !== "utf-8" && l !== "utf8" && l !== "unicode-1-1-utf-8") {
      throw new RangeError(`TextDecoder: the encoding "${label}" is not supported (only utf-8)`);
    }
    this.#fatal = !!options.fatal;
    this.#ignoreBOM = !!options.ignoreBOM;
  }
  get encoding() { return "utf-8"; }
  get fatal() { return this.#fatal; }
  get ignoreBOM() { return this.#ignoreBOM; }
  decode(input = new Uint8Array(0)) {
    let bytes;
    if (input instanceof ArrayBuffer) bytes = new Uint8Array(input);
    else if (ArrayBuffer.isView(input)) bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    else throw new TypeError("TextDecoder.decode: expected an ArrayBuffer or a typed array");
    return __native.utf8Decode(bytes, this.#fatal, this.#ignoreBOM);
  }
}
globalThis.TextEncoder = TextEncoder;
globalThis.TextDecoder = TextDecoder;
const __B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
globalThis.btoa = function btoa(input) {
  const s = String(input);
  let out = "";
  for (let i = 0; i < s.length; i += 3) {
    const a = s.charCodeAt(i), b = s.charCodeAt(i + 1), c = s.charCodeAt(i + 2);
    if (a > 255 || (b > 255) || (c > 255)) throw new DOMException("btoa: string contains characters outside Latin-1", "InvalidCharacterError");
    const n = (a << 16) | ((b || 0) << 8) | (c || 0);
    out += __B64[(n >> 18) & 63] + __B64[(n >> 12) & 63] +
      (i + 1 < s.length ? __B64[(n >> 6) & 63] : "=") + (i + 2 < s.length ? __B64[n & 63] : "=");
  }
  return out;
};
globalThis.atob = function atob(input) {
  const s = String(input).replace(/[\t\n\f\r ]+/g, "").replace(/=+$/, "");
  if (/[^A-Za-z0-9+/]/.test(s) || s.length % 4 === 1) throw new DOMException("atob: invalid base64", "InvalidCharacterError");
  let out = "";
  let bits = 0, acc = 0;
  for (const ch of s) {
    acc = (acc << 6) | __B64.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((acc >> bits) & 255);
    }
  }
  return out;
};

// atob / btoa (Latin-1 strings, as in browsers).
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
class DOMException extends Error {
  constructor(message = "", name = "Error") {
    super(message);
    this.name = name;
  }
}
globalThis.DOMException = DOMException;

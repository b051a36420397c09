// crypto.getRandomValues / randomUUID from the host's CSPRNG (WASI random_get). The snapshot
// holds no random state, so every instance draws fresh values.
globalThis.crypto = {
  getRandomValues(array) {
    if (!ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array) {
      throw new TypeError("crypto.getRandomValues: expected an integer typed array");
    }
    if (array.byteLength > 65536) throw new DOMException("crypto.getRandomValues: at most 65536 bytes", "QuotaExceededError");
    const bytes = __native.randomBytes(array.byteLength);
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(bytes);
    return array;
  },
  randomUUID() {
    const b = this.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  },
};

// DOMException with the legacy codes of the WebIDL table (AbortError is 20, TimeoutError 23).
const __DOM_CODES = {
  IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5,
  NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11,
  SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15,
  TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21,
  QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25,
};
class DOMException extends Error {
  #name; #code;
  constructor(message = "", options = "Error") {
    super(String(message));
    // `new DOMException(msg, name)` or `new DOMException(msg, {name, cause})`.
    if (options !== null && typeof options === "object") {
      this.#name = options.name === undefined ? "Error" : String(options.name);
      if ("cause" in options) Object.defineProperty(this, "cause", { value: options.cause, writable: true, configurable: true });
    } else {
      this.#name = String(options);
    }
    this.#code = __DOM_CODES[this.#name] || 0;
  }
  get name() { return this.#name; }
  get code() { return this.#code; }
}
for (const [k, v] of Object.entries(__DOM_CODES)) {
  const c = k.replace(/Error$/, "").replace(/([a-z])([A-Z])/g, "$1_$2").replace("URLM", "URL_M").toUpperCase() + "_ERR";
  Object.defineProperty(DOMException, c, { value: v });
}
globalThis.DOMException = DOMException;

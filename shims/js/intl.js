// Intl and toLocaleString: en-US only, formatted as V8 does for the common options; anything
// else (another locale, an option not listed here) throws NotSupportedError rather than
// produce output that differs from V8's. There is no time-zone database: time zones are
// "UTC" (the sandbox's local time zone) only.
function __notSupported(what) {
  return new DOMException(`${what} is not supported in the Tentacular sandbox (no ICU data): only en-US and the options listed in docs/node-contract.md are; format the value yourself or set \`runtime: deno\``, "NotSupportedError");
}
function __locale(locales, what) {
  const first = locales === undefined ? undefined : Array.isArray(locales) ? locales[0] : locales;
  if (first === undefined || /^en(-US)?$/i.test(String(first))) return "en-US";
  throw __notSupported(`${what} for the locale "${first}"`);
}
function __options(options, allowed, what) {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object") throw new TypeError(`${what}: options must be an object`);
  for (const k of Object.keys(options)) {
    if (options[k] !== undefined && !allowed.includes(k)) throw __notSupported(`${what} with the option "${k}"`);
  }
  return options;
}
// Rounds the decimal text of |x| to `max` fraction digits (half away from zero, on the
// shortest decimal form, as ICU does), keeping at least `min`.
function __roundDecimal(x, min, max) {
  let [int, frac = ""] = (() => {
    const s = Math.abs(x).toString();
    if (!/e/.test(s)) return s.split(".");
    // Expand exponent notation.
    const [m, e] = s.split("e");
    const [mi, mf = ""] = m.split(".");
    const exp = Number(e);
    const digits = mi + mf;
    const point = mi.length + exp;
    if (point <= 0) return ["0", "0".repeat(-point) + digits];
    if (point >= digits.length) return [digits + "0".repeat(point - digits.length), ""];
    return [digits.slice(0, point), digits.slice(point)];
  })();
  if (frac.length > max) {
    const up = frac.charCodeAt(max) >= 53; // "5"
    frac = frac.slice(0, max);
    if (up) {
      const all = (int + frac).split("").map(Number);
      let i = all.length - 1;
      while (i >= 0 && all[i] === 9) { all[i] = 0; i--; }
      if (i < 0) all.unshift(1); else all[i]++;
      const s = all.join("");
      int = s.slice(0, s.length - frac.length) || "0";
      frac = s.slice(s.length - frac.length);
    }
  }
  frac = frac.replace(/0+$/, "");
  if (frac.length < min) frac = frac.padEnd(min, "0");
  return [int.replace(/^0+(?=\d)/, ""), frac];
}
const __NUMBER_OPTIONS = ["style", "currency", "currencyDisplay", "minimumFractionDigits", "maximumFractionDigits", "useGrouping", "minimumIntegerDigits"];
function __formatNumber(x, o) {
  const style = o.style === undefined ? "decimal" : String(o.style);
  if (!["decimal", "percent", "currency"].includes(style)) throw __notSupported(`number style "${style}"`);
  if (style === "currency") {
    if (o.currency === undefined) throw new TypeError("Currency code is required with currency style.");
    if (String(o.currency).toUpperCase() !== "USD") throw __notSupported(`the currency "${o.currency}"`);
    if (o.currencyDisplay !== undefined && o.currencyDisplay !== "symbol") throw __notSupported(`currencyDisplay "${o.currencyDisplay}"`);
  }
  const dmin = style === "currency" ? 2 : 0, dmax = style === "currency" ? 2 : style === "percent" ? 0 : 3;
  const digits = (v, d, what) => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 100) throw new RangeError(`${what} value is out of range.`);
    return n;
  };
  let min = digits(o.minimumFractionDigits, dmin, "minimumFractionDigits");
  let max = digits(o.maximumFractionDigits, Math.max(min, dmax), "maximumFractionDigits");
  if (o.minimumFractionDigits === undefined && min > max) min = max;
  if (min > max) throw new RangeError("maximumFractionDigits value is out of range.");
  const minInt = digits(o.minimumIntegerDigits, 1, "minimumIntegerDigits");
  x = Number(x);
  if (Number.isNaN(x)) return "NaN";
  const neg = x < 0 || Object.is(x, -0);
  if (!Number.isFinite(x)) return (neg ? "-" : "") + "∞";
  if (style === "percent") x *= 100;
  let [int, frac] = __roundDecimal(x, min, max);
  int = int.padStart(minInt, "0");
  if (o.useGrouping !== false && o.useGrouping !== "false") int = int.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const body = frac ? `${int}.${frac}` : int;
  const sign = neg ? "-" : "";
  if (style === "currency") return `${sign}$${body}`;
  if (style === "percent") return `${sign}${body}%`;
  return sign + body;
}
const __MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
function __dateParts(d) {
  const t = Number(d);
  if (Number.isNaN(t)) return null;
  const dt = new Date(t);
  return { y: dt.getUTCFullYear(), m: dt.getUTCMonth(), d: dt.getUTCDate(), h: dt.getUTCHours(), mi: dt.getUTCMinutes(), s: dt.getUTCSeconds() };
}
function __formatDate(d, kind) {
  const p = __dateParts(d);
  if (p === null) return "Invalid Date";
  const date = `${p.m + 1}/${p.d}/${p.y}`;
  const h12 = p.h % 12 === 0 ? 12 : p.h % 12;
  const time = `${h12}:${String(p.mi).padStart(2, "0")}:${String(p.s).padStart(2, "0")}\u202f${p.h < 12 ? "AM" : "PM"}`;
  return kind === "date" ? date : kind === "time" ? time : `${date}, ${time}`;
}
function __dateOptions(options, what) {
  const o = __options(options, ["timeZone"], what);
  if (o.timeZone !== undefined && String(o.timeZone).toUpperCase() !== "UTC") throw __notSupported(`${what} in the time zone "${o.timeZone}"`);
  return o;
}
// Collation approximating ICU's root order for en: primary (letters without accents, case
// folded; whitespace and punctuation < digits < letters), then accents, then case (lower first).
function __collationKey(s) {
  const chars = [...String(s).normalize("NFD")];
  const primary = [], secondary = [], tertiary = [];
  for (const c of chars) {
    if (/[\u0300-\u036f]/.test(c)) { secondary.push(c.codePointAt(0)); continue; }
    const lower = c.toLowerCase();
    const cls = /\s/.test(c) ? 0 : /[0-9]/.test(c) ? 2 : /\p{L}/u.test(c) ? 3 : 1;
    primary.push(cls * 0x110000 + lower.codePointAt(0));
    tertiary.push(c === lower ? 0 : 1);
  }
  return [primary, secondary, tertiary];
}
function __compareKeys(a, b) {
  for (let level = 0; level < Math.min(a.length, b.length); level++) {
    const x = a[level], y = b[level];
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
    if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  }
  return 0;
}
function __collate(a, b, o) {
  if (o.sensitivity !== undefined && o.sensitivity !== "variant" && o.sensitivity !== "base" && o.sensitivity !== "accent") throw __notSupported(`Collator sensitivity "${o.sensitivity}"`);
  if (o.numeric) {
    const split = (s) => String(s).split(/(\d+)/);
    const x = split(a), y = split(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      const c = i % 2 === 1 ? Math.sign(Number(x[i]) - Number(y[i])) || __compareKeys(__collationKey(x[i]), __collationKey(y[i])) : __compareKeys(__collationKey(x[i]), __collationKey(y[i]));
      if (c !== 0) return c;
    }
    return Math.sign(x.length - y.length);
  }
  const ka = __collationKey(a), kb = __collationKey(b);
  if (o.sensitivity === "base") { ka.length = kb.length = 1; }
  if (o.sensitivity === "accent") { ka.length = kb.length = 2; }
  return __compareKeys(ka, kb);
}
class __NumberFormat {
  #o;
  constructor(locales, options) { __locale(locales, "Intl.NumberFormat"); this.#o = { ...__options(options, __NUMBER_OPTIONS, "Intl.NumberFormat") }; __formatNumber(0, this.#o); }
  format(x) { return __formatNumber(x, this.#o); }
  resolvedOptions() { return { locale: "en-US", numberingSystem: "latn", style: this.#o.style || "decimal", ...this.#o }; }
  formatToParts() { throw __notSupported("Intl.NumberFormat.formatToParts"); }
  static supportedLocalesOf(l) { return (Array.isArray(l) ? l : l === undefined ? [] : [l]).filter((x) => /^en(-US)?$/i.test(x)); }
}
class __DateTimeFormat {
  constructor(locales, options) { __locale(locales, "Intl.DateTimeFormat"); __dateOptions(options, "Intl.DateTimeFormat"); }
  format(d) { return __formatDate(d === undefined ? Date.now() : d, "date"); }
  resolvedOptions() { return { locale: "en-US", calendar: "gregory", numberingSystem: "latn", timeZone: "UTC", year: "numeric", month: "numeric", day: "numeric" }; }
  formatToParts() { throw __notSupported("Intl.DateTimeFormat.formatToParts"); }
  static supportedLocalesOf(l) { return __NumberFormat.supportedLocalesOf(l); }
}
class __Collator {
  #o;
  constructor(locales, options) { __locale(locales, "Intl.Collator"); this.#o = { ...__options(options, ["sensitivity", "numeric", "usage"], "Intl.Collator") }; __collate("", "", this.#o); }
  get compare() { return (a, b) => __collate(a, b, this.#o); }
  resolvedOptions() { return { locale: "en-US", usage: "sort", sensitivity: this.#o.sensitivity || "variant", numeric: !!this.#o.numeric }; }
  static supportedLocalesOf(l) { return __NumberFormat.supportedLocalesOf(l); }
}
const __unsupportedIntl = (name) => class { constructor() { throw __notSupported(`Intl.${name}`); } static supportedLocalesOf() { return []; } };
globalThis.Intl = {
  NumberFormat: __NumberFormat, DateTimeFormat: __DateTimeFormat, Collator: __Collator,
  PluralRules: __unsupportedIntl("PluralRules"), RelativeTimeFormat: __unsupportedIntl("RelativeTimeFormat"),
  ListFormat: __unsupportedIntl("ListFormat"), Segmenter: __unsupportedIntl("Segmenter"),
  DisplayNames: __unsupportedIntl("DisplayNames"), Locale: __unsupportedIntl("Locale"),
  getCanonicalLocales: (l) => [__locale(l, "Intl.getCanonicalLocales")],
  supportedValuesOf: () => { throw __notSupported("Intl.supportedValuesOf"); },
};
const __defineMethod = (proto, name, fn) => Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true });
__defineMethod(Number.prototype, "toLocaleString", function toLocaleString(locales, options) {
  __locale(locales, "Number.prototype.toLocaleString");
  return __formatNumber(Number(this), __options(options, __NUMBER_OPTIONS, "Number.prototype.toLocaleString"));
});
__defineMethod(BigInt.prototype, "toLocaleString", function toLocaleString(locales, options) {
  __locale(locales, "BigInt.prototype.toLocaleString");
  __options(options, [], "BigInt.prototype.toLocaleString");
  return BigInt.prototype.toString.call(this).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
});
for (const [name, kind] of [["toLocaleString", "both"], ["toLocaleDateString", "date"], ["toLocaleTimeString", "time"]]) {
  __defineMethod(Date.prototype, name, function (locales, options) {
    __locale(locales, `Date.prototype.${name}`);
    __dateOptions(options, `Date.prototype.${name}`);
    return __formatDate(this, kind);
  });
}
__defineMethod(String.prototype, "localeCompare", function localeCompare(that, locales, options) {
  __locale(locales, "String.prototype.localeCompare");
  return __collate(String(this), String(that), __options(options, ["sensitivity", "numeric", "usage"], "String.prototype.localeCompare"));
});
globalThis.navigator = Object.freeze({ userAgent: "Tentacular/0.1 (wasm32-wasip1; QuickJS)", language: "en-US", languages: Object.freeze(["en-US"]), hardwareConcurrency: 1 });

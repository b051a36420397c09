import { check, eq } from "./check.ts";
export default () => check(() => {
  eq(new URL("http://EXAMPLE.com/ä?b=c d").href, "http://example.com/%C3%A4?b=c%20d", "encoding");
  eq(new URL("https://bücher.example/").hostname, "xn--bcher-kva.example", "idna");
  eq([URL.parse("x"), URL.canParse("http://x")], [null, true], "parse");
  const q = new URLSearchParams("a=1&a=2");
  eq([q.has("a", "2"), (q.delete("a", "1"), q.toString())], [true, "a=2"], "params");
});

import { check, eq } from "./check.ts";
export default (ctx: any) => check(async () => {
  const api = ctx.dependency("api");
  eq((await api.fetch("/cookies")).headers.getSetCookie().length, 2, "getSetCookie");
  const form = new FormData();
  form.append("f", new File([new Uint8Array([0, 255])], "a.bin"));
  form.append("s", "v");
  const back = await (await api.fetch("/echo-body", { method: "POST", body: form })).formData();
  eq([[...new Uint8Array(await (back.get("f") as File).arrayBuffer())], back.get("s")], [[0, 255], "v"], "multipart");
  const png = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 0, 255]);
  eq([...new Uint8Array(await (await api.fetch("/echo-body", { method: "POST", body: png })).arrayBuffer())], [...png], "binary");
  eq([Response.redirect("http://x.example/", 307).status, Response.error().type], [307, "error"], "statics");
  const r = new Request("http://x.example/", { method: "POST", body: "b" });
  eq(await r.clone().text(), "b", "Request.clone");
  eq([await new Response("x").bytes(), await (await new Response("y").blob()).text()].map(String), ["120", "y"], "bytes/blob");
});

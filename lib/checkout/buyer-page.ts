/**
 * The few pages a buyer may see from us instead of Whop's checkout (route handlers cannot render
 * React with a status code): plain, friendly HTML, no stack traces, never cached.
 */

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

export function buyerPage(status: number, title: string, message: string, headers: Record<string, string> = {}): Response {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>
<style>
body{margin:0;min-height:100vh;display:grid;place-items:center;background:#fafafa;color:#18181b;font:16px/1.5 ui-sans-serif,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:28rem;margin:1.5rem;padding:2rem;background:#fff;border:1px solid #e4e4e7;border-radius:.75rem;box-shadow:0 1px 2px rgb(0 0 0/.05)}
h1{margin:0 0 .5rem;font-size:1.25rem}p{margin:0;color:#52525b}small{display:block;margin-top:1.5rem;color:#a1a1aa}
</style></head>
<body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><small>Error ${status}</small></main></body></html>`;
  return new Response(html, {
    status,
    headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", ...headers },
  });
}

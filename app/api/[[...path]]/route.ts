import { apiError } from "@/lib/api/handler";

/**
 * Every path no other route claims, for every method: 404 in the API's error shape. Unknown
 * `/api/…` paths land here directly; unknown page paths land here when the request looks like a
 * Server Action (the fallback rewrite in `next.config.ts`). Without it Next answers them with its
 * not-found page, which first tries to run a multipart or `Next-Action` POST as a Server Action:
 * 400, 409 or, for a body that does not parse, 500.
 */
function notFound(): Response {
  return apiError(404, "not_found", "Nothing is served at this path.");
}

export { notFound as GET, notFound as HEAD, notFound as POST, notFound as PUT, notFound as PATCH, notFound as DELETE, notFound as OPTIONS };

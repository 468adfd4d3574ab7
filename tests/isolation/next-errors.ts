import type { ReactNode } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { expect } from "vitest";

/** What Next's `notFound()` and `redirect()` throw: an error whose digest names the outcome. */
function digestOf(error: unknown): string {
  if (error instanceof Error && "digest" in error && typeof error.digest === "string") return error.digest;
  throw new Error(`expected a Next.js control-flow error, got: ${String(error)}`, { cause: error });
}

async function thrownBy(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error("expected it to throw, but it returned");
}

/** Fails unless `work` ends in `notFound()` (a 404). */
export async function expectNotFound(work: () => Promise<unknown>): Promise<void> {
  expect(digestOf(await thrownBy(work))).toMatch(/^NEXT_HTTP_ERROR_FALLBACK;404$/);
}

/** Fails unless `work` ends in `redirect(location)`; digest: NEXT_REDIRECT;<type>;<url>;<status>; */
export async function expectRedirect(work: () => Promise<unknown>, location: string): Promise<void> {
  const [code, , url] = digestOf(await thrownBy(work)).split(";");
  expect({ code, url }).toEqual({ code: "NEXT_REDIRECT", url: location });
}

/** A server component's result rendered to HTML (its children are synchronous components). */
export function html(element: unknown): string {
  return renderToStaticMarkup(element as ReactNode);
}

/**
 * Liveness probe: answers 204 without touching the database (GET /api/health checks Postgres).
 * `npm run bench` also loads it as the empty route handler that sets the framework's ceiling.
 */
export const dynamic = "force-dynamic";

export function GET() {
  return new Response(null, { status: 204 });
}

export function POST() {
  return new Response(null, { status: 204 });
}

import { invalidParameter } from "./http";

export interface Page<T> {
  data: T[];
  page_info: { end_cursor: string | null; start_cursor: string | null; has_next_page: boolean; has_previous_page: boolean };
}

const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 100;

const encodeCursor = (id: string) => Buffer.from(id, "utf8").toString("base64url");
const decodeCursor = (cursor: string) => Buffer.from(cursor, "base64url").toString("utf8");

/** `?first=&after=` cursor pagination over items already in list order. */
export function paginate<T extends { id: string }, J>(items: T[], query: URLSearchParams, toJson: (item: T) => J): Page<J> {
  const firstParam = query.get("first");
  const first = firstParam === null || firstParam === "" ? DEFAULT_PAGE_SIZE : Number(firstParam);
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw invalidParameter("first");
  let start = 0;
  const after = query.get("after");
  if (after) {
    const index = items.findIndex((item) => item.id === decodeCursor(after));
    if (index < 0) throw invalidParameter("after");
    start = index + 1;
  }
  const slice = items.slice(start, start + first);
  const last = slice.at(-1);
  return {
    data: slice.map(toJson),
    page_info: {
      end_cursor: last ? encodeCursor(last.id) : null,
      start_cursor: slice[0] ? encodeCursor(slice[0].id) : null,
      has_next_page: start + first < items.length,
      has_previous_page: start > 0,
    },
  };
}

export function newestFirst<T extends { createdAt: Date }>(items: Iterable<T>): T[] {
  return [...items].reverse().sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}

import Link from "next/link";
import { buttonClass } from "@/components/ui/button-class";

/** Keyset pagination links: back to the first page, and on to the next one when there is one. */
export function Pagination({ basePath, onLaterPage, nextHref }: { basePath: string; onLaterPage: boolean; nextHref: string | null }) {
  if (!onLaterPage && !nextHref) return null;
  return (
    <nav aria-label="Pagination" className="flex gap-3">
      {onLaterPage && (
        <Link href={basePath} className={buttonClass("secondary")}>
          First page
        </Link>
      )}
      {nextHref && (
        <Link href={nextHref} className={buttonClass("secondary")}>
          Next page
        </Link>
      )}
    </nav>
  );
}

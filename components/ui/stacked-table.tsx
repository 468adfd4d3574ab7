import type { ReactNode } from "react";

/*
 * One table, two layouts (the orders and subscriptions lists). From lg up, where all columns fit,
 * it is a table. Below lg (a phone, a tablet) the same cells are restyled as a stacked card per
 * row: the row places its cells on a two-column grid, and a labelled cell shows as "Label  value",
 * the label drawn from its data-label (the column headers are hidden there). Nothing is rendered
 * twice, so each value appears once in the page whatever the width. The explicit roles keep the
 * table semantics for assistive technology in browsers that drop them once table elements stop
 * being display:table.
 */

/** Padding of a cell in the table layout. */
export const STACKED_CELL = "lg:px-4 lg:py-2.5";

/** A cell shown stacked as "Label  value" (the label from data-label), with a label column of either width. */
export const STACKED_LABELLED = {
  narrow: "max-lg:flex max-lg:items-baseline max-lg:gap-3 max-lg:before:w-24 max-lg:before:shrink-0 max-lg:before:text-xs max-lg:before:text-zinc-500 max-lg:before:content-[attr(data-label)]",
  wide: "max-lg:flex max-lg:items-baseline max-lg:gap-3 max-lg:before:w-28 max-lg:before:shrink-0 max-lg:before:text-xs max-lg:before:text-zinc-500 max-lg:before:content-[attr(data-label)]",
} as const;

export interface StackedColumn {
  label: string;
  align?: "right";
}

export function StackedTable({ columns, children }: { columns: StackedColumn[]; children: ReactNode }) {
  return (
    <div className="overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm lg:overflow-x-auto">
      <table role="table" className="min-w-full text-sm max-lg:block lg:divide-y lg:divide-zinc-200">
        <thead role="rowgroup" className="bg-zinc-50 text-left whitespace-nowrap text-xs font-semibold tracking-wide text-zinc-500 uppercase max-lg:hidden">
          <tr role="row">
            {columns.map((column) => (
              <th key={column.label} role="columnheader" scope="col" className={column.align === "right" ? "px-4 py-2.5 text-right" : "px-4 py-2.5"}>
                {column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody role="rowgroup" className="divide-y divide-zinc-100 max-lg:block">
          {children}
        </tbody>
      </table>
    </div>
  );
}

/** A row: a table row from lg up, a card of two grid columns below. */
export function StackedRow({ children }: { children: ReactNode }) {
  return (
    <tr role="row" className="hover:bg-zinc-50 max-lg:grid max-lg:grid-cols-[minmax(0,1fr)_auto] max-lg:gap-x-4 max-lg:gap-y-1 max-lg:px-4 max-lg:py-3">
      {children}
    </tr>
  );
}

import type { ActionState } from "@/lib/actions";
import { Notice } from "./card";

/** A grid form's outcome line: the action's error or success, across the full width. */
export function FormNotices({ state }: { state: ActionState }) {
  return (
    <>
      {state.error && (
        <div className="sm:col-span-6">
          <Notice tone="error">{state.error}</Notice>
        </div>
      )}
      {state.success && (
        <div className="sm:col-span-6">
          <Notice tone="success">{state.success}</Notice>
        </div>
      )}
    </>
  );
}

/**
 * `user_*`: who the person is and what is remembered for them. Every change is recorded
 * (`user_get_history`), any kept version can be brought back (`user_restore_state`), everything
 * kept can be taken away (`user_export`), and all of it deleted (`user_forget`, in two steps).
 * One file per tool.
 *
 * @module
 */
import type { PackBrand } from "../../../pack/mod.ts";
import type { KitToolDefinition } from "../../kit_tool.ts";
import { exportTool } from "./export.ts";
import { forgetTool } from "./forget.ts";
import { getHistoryTool } from "./get_history.ts";
import { getProfileTool } from "./get_profile.ts";
import { restoreStateTool } from "./restore_state.ts";
import { saveStateTool } from "./save_state.ts";

/** The `user_*` tools in `brand`'s words, in the order hosts list them. */
export function userTools(brand: PackBrand): KitToolDefinition[] {
  return [
    getProfileTool(brand),
    saveStateTool(brand),
    getHistoryTool(brand),
    restoreStateTool(brand),
    exportTool(brand),
    forgetTool(brand),
  ];
}

/** What the kit's rules add to every pack's: undo and forget, in the pack's words. */
export function memoryRules(brand: PackBrand): string {
  return `## The ${brand.userNoun}'s memory

- Every change to what is saved is recorded. If the ${brand.userNoun} says something was lost or
  changed by mistake, offer to undo it: find the change with \`user_get_history\` and bring the
  earlier version back with \`user_restore_state\`.
- \`user_export\` hands over everything kept about the ${brand.userNoun} when they ask for a copy.
- Use \`user_forget\` only when the ${brand.userNoun} explicitly asks to delete everything kept about
  them. Tell them what will be deleted and that it cannot be undone, and confirm only if they say so.`;
}

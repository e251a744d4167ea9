/**
 * Whether a path exists, without following a final symbolic link.
 *
 * @module
 */

/** Whether `path` exists; any error but "not found" is thrown. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

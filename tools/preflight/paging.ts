/** Marker paging shared by preflight's checks and the catalogue refresh (catalogues.ts). */

// Any client's send(): its overloads differ per client; each caller names the items it reads.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Send = { send: (c: any) => Promise<any> };
type Page = Record<string, unknown>;

/** Every page of a Describe call (Marker paging, at most 100 pages). */
export async function pages<T>(client: Send, make: (marker?: string) => unknown, items: (r: Page) => unknown, marker: (r: Page) => unknown = (r) => r.Marker): Promise<T[]> {
  const out: T[] = [];
  let next: string | undefined;
  for (let i = 0; i < 100; i++) {
    const r = (await client.send(make(next))) as Page;
    out.push(...(((items(r) as T[] | undefined) ?? [])));
    next = marker(r) as string | undefined;
    if (!next) break;
  }
  return out;
}

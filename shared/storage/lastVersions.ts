/**
 * The last version of a blob this process wrote or read, by name, for at most `capacity` names: the job
 * store and the counters write their next change under a remembered ETag instead of reading first. A Map
 * keeps insertion order, so setting a name again moves it to the end and the first key is the one least
 * recently set, which is dropped when the map is full.
 */
export class LastVersions<V> {
  private readonly versions = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  get(name: string): V | undefined {
    return this.versions.get(name);
  }

  set(name: string, version: V): void {
    this.versions.delete(name);
    if (this.versions.size >= this.capacity) {
      const oldest = this.versions.keys().next();
      if (!oldest.done) this.versions.delete(oldest.value);
    }
    this.versions.set(name, version);
  }

  forget(name: string): void {
    this.versions.delete(name);
  }
}

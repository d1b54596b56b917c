// The offline queue: redemptions waiting for the network, kept in IndexedDB so that they
// survive a reload or a closed tab. Each item keeps its own Idempotency-Key: sending it
// twice can never redeem twice. One database per user, so a shared phone never sends a
// scan under someone else's session.

const STORE = "scans";

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function committed(transaction) {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

class IndexedQueue {
  constructor(db) {
    this.db = db;
  }

  /** Store an item ({key, codes, workshopId, workshopLabel, label, queuedAt}); return it with its seq. */
  async add(item) {
    const transaction = this.db.transaction(STORE, "readwrite");
    const seq = await done(transaction.objectStore(STORE).add(item));
    await committed(transaction);
    return { ...item, seq };
  }

  /** Every waiting item, oldest first. */
  async list() {
    const transaction = this.db.transaction(STORE, "readonly");
    return done(transaction.objectStore(STORE).getAll());
  }

  async remove(seq) {
    const transaction = this.db.transaction(STORE, "readwrite");
    transaction.objectStore(STORE).delete(seq);
    await committed(transaction);
  }
}

/** Without IndexedDB (some private modes) the queue lives as long as the page. */
class MemoryQueue {
  constructor() {
    this.items = [];
    this.next = 1;
  }

  async add(item) {
    const stored = { ...item, seq: this.next++ };
    this.items.push(stored);
    return stored;
  }

  async list() {
    return [...this.items];
  }

  async remove(seq) {
    this.items = this.items.filter((item) => item.seq !== seq);
  }
}

/** Open the queue of this user; falls back to memory when IndexedDB is unavailable. */
export async function openQueue(userId) {
  if (!("indexedDB" in window)) return new MemoryQueue();
  try {
    const request = indexedDB.open(`passnum-scanner-${userId}`, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
    };
    return new IndexedQueue(await done(request));
  } catch {
    return new MemoryQueue();
  }
}

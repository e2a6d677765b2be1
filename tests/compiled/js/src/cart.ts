// The TypeScript test worker of world golem-fakes:ts-cart/ts-cart (../wit/ts-cart.wit).
//
// Ordinary Golem worker code: tsc compiles it to an ES module, componentize-js turns
// that into a component (../ts_component.py has the steps and the pinned versions).
// Module-level state is this worker's instance state, as in Golem: a crash drops it,
// recovery replays the oplog and rebuilds it.
//
// Imports resolve to the component's WIT imports (componentize-js maps an ES import of
// "ns:pkg/iface@version" to the WIT interface); the .d.ts files they are typed by are
// generated from the same WIT by `jco guest-types` at build time.
import {
  generateIdempotencyKey,
  getOplogIndex,
  getSelfMetadata,
} from "golem:api/host@1.1.7";
import { Bucket, OutgoingValue } from "wasi:keyvalue/types@0.1.0";
import { get, set } from "wasi:keyvalue/eventual@0.1.0";
import { now as wallNow } from "wasi:clocks/wall-clock@0.2.3";
import { now as monotonicNow } from "wasi:clocks/monotonic-clock@0.2.3";
import { log } from "wasi:logging/logging";
import type { Line, Receipt } from "golem-fakes:ts-cart/cart";

/** The cart: sku -> quantity, in the order the skus were first added. */
const basket = new Map<string, number>();

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The golem:rpc uuid record as the usual 8-4-4-4-12 hex string. */
function uuidString(u: { highBits: bigint; lowBits: bigint }): string {
  const hex = ((u.highBits << 64n) | u.lowBits).toString(16).padStart(32, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function workerName(): string {
  return getSelfMetadata().workerId.workerName;
}

/** Writes `text` under `key` of bucket `name` (wasi:keyvalue/eventual.set). */
function save(name: string, key: string, text: string): void {
  const bucket = Bucket.openBucket(name);
  const value = OutgoingValue.newOutgoingValue();
  value.outgoingValueWriteBodySync(encoder.encode(text));
  set(bucket, key, value);
}

function itemCount(): number {
  let n = 0;
  for (const qty of basket.values()) n += qty;
  return n;
}

/** The export `golem-fakes:ts-cart/cart`: typed by its generated declaration. */
export const cart: typeof import("golem-fakes:ts-cart/cart") = {
  addItem(sku: string, qty: number): number {
    const total = (basket.get(sku) ?? 0) + qty;
    basket.set(sku, total);
    save("carts", `${workerName()}/${sku}`, String(total));
    return itemCount();
  },

  lines(): Line[] {
    return [...basket.entries()].map(([sku, qty]) => ({ sku, qty }));
  },

  checkout(): Receipt {
    if (basket.size === 0) {
      // componentize-js returns a thrown value as the result's error
      throw "cart is empty";
    }
    const orderId = uuidString(generateIdempotencyKey());
    const items = itemCount();
    const placedAtMs = BigInt(Date.now());
    const order = JSON.stringify({ orderId, worker: workerName(), lines: cart.lines() });
    save("orders", orderId, order);
    const oplogIndex = getOplogIndex();
    log("info", "cart", `order ${orderId} placed: ${items} items`);
    console.log(`placed ${order}`);
    basket.clear();
    return { orderId, items, placedAtMs, oplogIndex };
  },

  read(name: string, key: string): string | undefined {
    const found = get(Bucket.openBucket(name), key);
    if (found === undefined) return undefined;
    return decoder.decode(found.incomingValueConsumeSync());
  },

  clocks(): [bigint, bigint] {
    const wall = wallNow();
    const ms = wall.seconds * 1000n + BigInt(Math.floor(wall.nanoseconds / 1_000_000));
    return [ms, monotonicNow()];
  },

  whoami(): string {
    return workerName();
  },
};

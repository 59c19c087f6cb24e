/**
 * The messages tabs exchange over a BroadcastChannel: "wake" (a client tab wrote to the database;
 * the leader should look for work) and "changes" (the leader committed changes to these instances).
 * Changes made in one turn travel in one message.
 */
import type { InstanceRecord } from "../../src/store.ts";

type TabMessage = { type: "wake" } | { type: "changes"; instances: InstanceRecord[] };

export interface TabChannel {
  wakeLeader(): void;
  publishChange(instance: InstanceRecord): void;
  close(): void;
}

export interface TabChannelHandlers {
  onWake(): void;
  onChanges(instances: InstanceRecord[]): void;
}

/** The BroadcastChannel to use: the one given, else the global one, else none. */
export function broadcastChannelClass(Channel: typeof BroadcastChannel | undefined): typeof BroadcastChannel | undefined {
  return Channel ?? (globalThis as { BroadcastChannel?: typeof BroadcastChannel }).BroadcastChannel;
}

export function openTabChannel(name: string, Channel: typeof BroadcastChannel | undefined, handlers: TabChannelHandlers): TabChannel {
  const Ctor = broadcastChannelClass(Channel);
  if (!Ctor) return { wakeLeader() {}, publishChange() {}, close() {} };
  const channel = new Ctor(name);
  channel.onmessage = (event: MessageEvent<TabMessage>) => {
    const message = event.data;
    if (message?.type === "wake") handlers.onWake();
    else if (message?.type === "changes") handlers.onChanges(message.instances);
  };
  let pending: Map<string, InstanceRecord> | null = null;
  let closed = false;
  const post = (message: TabMessage) => {
    if (!closed) channel.postMessage(message);
  };
  return {
    wakeLeader: () => post({ type: "wake" }),
    publishChange(instance) {
      if (pending) {
        pending.set(instance.instanceId, instance);
        return;
      }
      pending = new Map([[instance.instanceId, instance]]);
      queueMicrotask(() => {
        const instances = [...pending!.values()];
        pending = null;
        post({ type: "changes", instances });
      });
    },
    close() {
      closed = true;
      channel.close();
    },
  };
}

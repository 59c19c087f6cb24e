import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { describeStoreContract } from "../contract/store-contract.ts";
import { createIndexedDbStore } from "./index.ts";

describeStoreContract("indexeddb (fake-indexeddb)", () => createIndexedDbStore({ name: "contract", indexedDB: new IDBFactory() }));

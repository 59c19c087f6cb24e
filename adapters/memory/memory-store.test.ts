import { describeStoreContract } from "../contract/store-contract.ts";
import { createMemoryStore } from "./index.ts";

describeStoreContract("memory", () => createMemoryStore());

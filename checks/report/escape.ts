/** Report escaping lives beside the settings' (components/printable.ts): one rule for every printed value. */
export { hasUnprintable, printable } from "../../components/printable";

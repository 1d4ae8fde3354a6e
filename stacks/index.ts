// Entry point for `pulumi up`: the program itself is in program.ts so tests and the
// offline review can run it under mocks.
import { main } from "./program";

export = main();

import * as pulumi from "@pulumi/pulumi";
import { appStack } from "./app";

const config = new pulumi.Config();

// An async program: Pulumi's Node.js runtime awaits the exported promise; its fields become the stack outputs.
export = appStack({ dataTierStack: config.require("dataTierStack"), image: config.require("image") });

/**
 * Side-effect entry for `node --import @parcel/local-resources/localhost-dns …`: resolves `*.localhost`
 * to loopback in the whole process before any of its code runs (see localhost-resolution.ts).
 */
import { installLocalhostResolution } from './localhost-resolution';

installLocalhostResolution();

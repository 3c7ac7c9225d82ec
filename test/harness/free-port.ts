/** A free loopback port for tests (bind port 0, read it, close). */
export { findFreePort } from '../../bus/free-port.js';

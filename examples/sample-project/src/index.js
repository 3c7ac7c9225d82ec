export { capitalize, reverse, isBlank } from './text.js';

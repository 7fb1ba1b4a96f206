/**
 * Loopback Slack emulator: a real HTTP + WebSocket server on 127.0.0.1 that speaks Slack's wire
 * formats so an unmodified Bolt app runs against it in HTTP mode and in Socket Mode.
 */
export { startSlackEmulator } from './emulator.js';
export { computeSlackSignature, signedHeaders } from './signing.js';
export { FORM_CONTENT_TYPE } from './http-delivery.js';
export { validateBlocks, validateView } from './block-kit.js';
export { SUPPORTED_METHODS } from './web-api.js';
export type {
  ApiCall,
  Delivery,
  EmulatedChannel,
  EmulatedUser,
  EmulatorOptions,
  Fault,
  FaultSchedule,
  Message,
  MessageMetadata,
  SlackEmulator,
  UploadedFile,
  View,
} from './types.js';

export {
  BoundedTokenDenyList,
  type BoundedTokenDenyListOptions,
} from './bounded-token-deny-list.js'
export {
  JwtTokenVerifier,
  type JwtTokenVerifierOptions,
  type ScopeMemory,
  type ScopelessTokens,
} from './jwt-token-verifier.js'
export { WebsocketTokenPolicy, type WebsocketTokenPolicyOptions } from './websocket-token-policy.js'

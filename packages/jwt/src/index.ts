export {
  JwtTokenVerifier,
  type JwtTokenVerifierOptions,
  type ScopeMemory,
  type ScopelessTokens,
} from './jwt-token-verifier.js'

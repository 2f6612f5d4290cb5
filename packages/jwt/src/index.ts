export { JwtTokenVerifier, type JwtTokenVerifierOptions } from './jwt-token-verifier.js'

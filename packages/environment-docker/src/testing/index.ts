export {
  createDockerTestBed,
  TEST_CONTAINER_USER,
  type DockerTestBed,
  type TestNetwork,
} from './docker-test-bed.js'

import { cdk8s, javascript } from 'projen';

const project = new cdk8s.ConstructLibraryCdk8s({
  name: 'cdk8s-secure-serving',
  description:
    'Secure front doors for model servers and gRPC APIs on Kubernetes: typed cdk8s constructs for Istio, Traefik, Envoy and KServe that are secure by default and validate their input.',
  author: 'cdk8s-secure-serving maintainers',
  authorAddress: 'maintainers@cdk8s-secure-serving.dev',
  repositoryUrl: 'https://github.com/cdk8s-secure-serving/cdk8s-secure-serving.git',
  license: 'Apache-2.0',
  keywords: ['cdk8s', 'kubernetes', 'istio', 'traefik', 'envoy', 'kserve', 'grpc', 'jwt', 'mtls', 'basic-auth'],
  defaultReleaseBranch: 'main',
  projenrcTs: true,
  packageManager: javascript.NodePackageManager.NPM,
  minNodeVersion: '20.0.0',

  jsiiVersion: '~6.0.0',
  typescriptVersion: '~6.0.0',
  cdk8sVersion: '2.70.0',
  constructsVersion: '10.4.2',

  peerDeps: ['cdk8s-plus-27@^2.9.5'],
  // yaml: the linter reads manifests from files and Envoy bootstraps from ConfigMaps, with line numbers
  deps: ['bcryptjs@^3.0.2', 'jose@^5.10.0', 'yaml@^2.8.0'],
  bundledDeps: ['bcryptjs', 'jose', 'yaml'],
  devDeps: [
    'cdk8s-cli@^2.207.0',
    // schema validation in tests: CRDs with Ajv; core kinds with the Kubernetes OpenAPI schema
    'ajv@^8.17.1',
    'ajv-formats@^3.0.1',
    'kubernetes-models@^5.1.0',
    '@kubernetes/client-node@^2.0.1',
    // Envoy's v3 protos (deps/envoy-api) and a protobuf loader, to check generated Envoy configs
    '@grpc/grpc-js-xds@^1.14.1',
    'protobufjs@^7.5.0',
    // property-based tests: random valid and invalid props, seeded so a failure reproduces
    'fast-check@^4.11.0',
    // a test app on a current cdk8s-plus line, for Backend.fromServiceConstruct
    'cdk8s-plus-33@^2.5.57',
  ],

  // This repository is not hosted on GitHub Actions; CI is `.ci/run`.
  github: false,
  release: false,

  // Generated CRD bindings live in top-level `imports/`, so the compiler root is the
  // project root and the entry point is lib/src/index.js.
  entrypoint: 'lib/src/index.js',
  entrypointTypes: 'lib/src/index.d.ts',
  tsconfig: {
    // No inline source maps: they double the size of the generated bindings in the package.
    compilerOptions: { rootDir: '.', inlineSourceMap: false, inlineSources: false },
    include: ['src/**/*.ts', 'imports/**/*.ts'],
  },

  jestOptions: {
    // A changed output must fail the tests; `npx projen test:update` rewrites snapshots on purpose.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      coveragePathIgnorePatterns: ['/node_modules/', '/imports/', '/test/', '/examples/'],
      // The example app imports the package by name; tests that build its charts get the source.
      moduleNameMapper: { '^cdk8s-secure-serving$': '<rootDir>/src/index.ts' },
    },
  },
  eslintOptions: {
    // `npx projen eslint --fix` fixes on purpose; the build and CI only report.
    commandOptions: { fix: false },
    dirs: ['src'],
    devdirs: ['test', 'projenrc'],
    ignorePatterns: ['imports/', 'examples/', 'bench/', '*.d.ts', '*.js'],
  },
  docgen: true,

  publishToPypi: {
    distName: 'cdk8s-secure-serving',
    module: 'cdk8s_secure_serving',
  },
  publishToMaven: {
    javaPackage: 'dev.cdk8ssecureserving',
    mavenGroupId: 'dev.cdk8s-secure-serving',
    mavenArtifactId: 'cdk8s-secure-serving',
  },
  publishToNuget: {
    dotNetNamespace: 'Cdk8sSecureServing',
    packageId: 'Cdk8sSecureServing',
  },
  publishToGo: {
    moduleName: 'github.com/cdk8s-secure-serving/cdk8s-secure-serving-go',
    packageName: 'cdk8ssecureserving',
  },
});

// `build` packs the npm tarball only. Python, Java, .NET and Go packages need those languages'
// registries (`npx projen package-all` on a release machine); CI proves the API in every language
// with `jsii-pacmak --code-only`.
project.packageTask.reset();
project.packageTask.spawn(project.tasks.tryFind('package:js')!);

// CRD bindings: see projenrc/crd-sources.ts for the files, versions and upstream sources.
project.addTask('import', {
  description: 'Regenerate imports/ from the CRD files (CRDS_DIR, default imports/crds) with cdk8s import',
  exec: 'ts-node --project projenrc/tsconfig.json projenrc/import-crds.ts',
});

// jsii 6 prints a Node 20 end-of-life banner on every run; the build supports Node 20.
project.tasks.addEnvironment('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '20');
project.package.addField('types', 'lib/src/index.d.ts');
// `npx cdk8s-secure-serving lint`: the front-door checks for manifests from anywhere
project.addBins({ 'cdk8s-secure-serving': 'lib/src/lint/cli.js' });

project.gitignore.exclude('/test/.readme-*');

// Speed and size: see bench/README.md.
const bench = project.addTask('bench', {
  description: 'Benchmark synth time, memory, load time, bcrypt cost and package size against baselines',
});
bench.spawn(project.compileTask);
bench.spawn(project.tasks.tryFind('package:js')!);
bench.exec('node bench/run.js');

project.npmignore?.exclude('/imports/', '/examples/', '/bench/', '/.ci/', '/API.md');
project.gitattributes.addAttributes('/imports/*.ts', 'linguist-generated');
project.gitattributes.addAttributes('/imports/crds/**', 'linguist-vendored');
project.gitattributes.addAttributes('/examples/package-lock.json', 'linguist-generated');

// CI (`.ci/run` installs with `npm ci`, then runs this task). Each step fails the task on its own.
const ci = project.addTask('ci', {
  description: 'What CI checks: the build and tests, committed generated files, a reproducible CRD import, every jsii language, the example app',
});
ci.spawn(project.buildTask);
ci.exec('node .ci/git-clean.js "the build"', { name: 'the build changed no committed file and left none uncommitted' });
ci.spawn(project.tasks.tryFind('import')!);
ci.exec('node .ci/git-clean.js "npx projen import" imports', { name: '`npx projen import` reproduces imports/ from imports/crds' });
const pacmak = project.addTask('ci:pacmak', {
  description: 'Generate the Python, Java, .NET and Go bindings (code only) and byte-compile the Python package',
});
pacmak.exec('rm -rf dist/pacmak');
pacmak.exec('jsii-pacmak --code-only --target python --target java --target dotnet --target go --outdir dist/pacmak');
pacmak.exec('python3 -m compileall -q dist/pacmak/python', { name: 'the generated Python package compiles' });
pacmak.exec('ls dist/pacmak/java dist/pacmak/dotnet dist/pacmak/go');
ci.spawn(pacmak);
const example = project.addTask('ci:example', {
  description: 'Install the example app (its lockfile, then the packed tarball), synthesize it and validate every document',
});
example.exec('rm -rf node_modules dist', { cwd: 'examples' });
example.exec('npm ci --no-audit --no-fund', { cwd: 'examples' });
example.exec('npm run install-lib', { cwd: 'examples' });
// cdk8s.yaml runs the package's validation plugin: a finding fails the synth.
example.exec('npm run synth', { cwd: 'examples' });
// The installed command on the same output, as a user runs it on manifests from anywhere.
example.exec('npx --no-install cdk8s-secure-serving lint dist', { cwd: 'examples' });
example.exec('ts-node --project test/tsconfig.json test/schema/cli.ts --summary test-reports/example-summary.txt examples/dist');
// The values for other tools (istiod, the Istio gateway chart, KServe) that cdk8s synth wrote
example.exec('node .ci/values-check.js examples/dist');
// The installed tarball's .jsii would otherwise be what jsii-docgen reads for API.md next time.
example.exec('rm -rf node_modules', { cwd: 'examples' });
ci.spawn(example);

project.synth();

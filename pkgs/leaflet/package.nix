# leaflet: shared writing and social publishing on AT Protocol
# (hyperlink-academy/leaflet), a Next.js app on Supabase. Built as Next.js'
# standalone server (.next/standalone/server.js with the traced
# node_modules), which `leaflet` runs with node.
#
# Next.js inlines every NEXT_PUBLIC_* variable into the bundles (browser and
# server) at build time, so the Supabase URL and anon key, the public URL and
# the Stripe publishable key are arguments of this package, not runtime
# settings: services.leaflet builds it with its own values through
# `override`. They are public by design (every browser receives them); the
# secret keys (service role, Stripe, Postmark, ...) are read at runtime only.
{
  lib,
  buildNpmPackage,
  fetchSource,
  mkUpdateScript,
  makeWrapper,
  nodejs,
  testers,
  # NEXT_PUBLIC_SUPABASE_API_URL; upstream's local `supabase start` serves here.
  supabaseUrl ? "http://127.0.0.1:54321",
  # NEXT_PUBLIC_SUPABASE_ANON_KEY, the project's public anon key.
  supabaseAnonKey ? null,
  # NEXT_PUBLIC_APP_URL: the public origin links in emails and redirects use.
  appUrl ? "http://127.0.0.1:3000",
  # NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY, for the paid tiers.
  stripePublishableKey ? null,
}:

let
  source = lib.importJSON ./source.json;
  publicEnv = lib.filterAttrs (_: v: v != null) {
    NEXT_PUBLIC_SUPABASE_API_URL = supabaseUrl;
    NEXT_PUBLIC_SUPABASE_ANON_KEY = supabaseAnonKey;
    NEXT_PUBLIC_APP_URL = appUrl;
    NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY = stripePublishableKey;
  };
in
buildNpmPackage {
  pname = "leaflet";
  inherit (source) version npmDepsHash;

  src = fetchSource ./source.json;

  inherit nodejs;
  nativeBuildInputs = [ makeWrapper ];

  # The devDependency `supabase` (the CLI for a local Supabase stack) downloads
  # its binary from GitHub releases in its postinstall, which the sandbox
  # forbids. Every other install script in the lockfile (esbuild, sharp,
  # @tailwindcss/oxide, cbor-extract, workerd) only checks or selects the
  # prebuilt binaries npm already installed as optional dependencies, so none
  # is needed.
  npmRebuildFlags = [ "--ignore-scripts" ];

  postPatch = ''
    # next/font/google downloads IBM Plex Serif from fonts.googleapis.com
    # during `next build`, which the sandbox forbids: the about page's headings
    # fall back to the page's own font stack instead.
    substituteInPlace app/about/AboutPage.tsx \
      --replace-fail 'import { IBM_Plex_Serif } from "next/font/google";' "" \
      --replace-fail 'IBM_Plex_Serif({' '((_options: object) => ({ variable: "" }))({'
    # `next build` prerenders the static and ISR pages, and some of them
    # (/reader/trending first) query leaflet's database and Supabase while
    # doing so, and the sandbox reaches neither. Every page renders on
    # request instead (the root layout's segment config applies to all
    # routes below it).
    echo 'export const dynamic = "force-dynamic";' >> app/layout.tsx
    # Standalone output: the server and only the node_modules it traces,
    # instead of the whole development tree `next start` would need.
    substituteInPlace next.config.js \
      --replace-fail 'const nextConfig = {' 'const nextConfig = { output: "standalone",'
  '';

  env = publicEnv // {
    # Next.js' telemetry would phone home during the build.
    NEXT_TELEMETRY_DISABLED = "1";
    # Several routes create their Supabase client at module scope, and
    # supabase-js throws without a key when `next build` loads them to
    # collect page data. No request is made then; the server reads the real
    # key from its environment at runtime (only NEXT_PUBLIC_* are inlined).
    SUPABASE_SERVICE_ROLE_KEY = "build-time-placeholder";
  };

  # `npm run build` would be the same; upstream has no build script.
  npmBuildScript = null;
  buildPhase = ''
    runHook preBuild
    node node_modules/next/dist/bin/next build
    runHook postBuild
  '';

  installPhase = ''
    runHook preInstall
    app=$out/lib/leaflet
    mkdir -p $app $out/bin
    cp -r .next/standalone/. $app/
    cp -r .next/static $app/.next/static
    cp -r public $app/public
    # The incremental cache (ISR pages, fetch cache) is written at runtime;
    # the store is read-only, so it lives in the unit's CacheDirectory.
    rm -rf $app/.next/cache
    ln -s /var/cache/leaflet $app/.next/cache
    makeWrapper ${lib.getExe nodejs} $out/bin/leaflet \
      --add-flags $app/server.js \
      --set-default NODE_ENV production \
      --set NEXT_TELEMETRY_DISABLED 1
    runHook postInstall
  '';

  passthru = {
    inherit source;
    updateScript = mkUpdateScript { package = "leaflet"; };
    tests.vm = testers.runNixOSTest {
      imports = [ ../../tests/nixos/leaflet.nix ];
      defaults.imports = [ ../../modules/leaflet.nix ];
    };
  };

  meta = {
    description = "Shared writing and social publishing on AT Protocol (Next.js app on Supabase)";
    homepage = "https://github.com/hyperlink-academy/leaflet";
    # LICENSE: MIT (Learning Futures Inc.).
    license = lib.licenses.mit;
    mainProgram = "leaflet";
    platforms = lib.platforms.linux;
  };
}

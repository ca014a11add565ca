import { defineConfig } from 'vite';

// Tauri serves ui/dist; relative asset paths keep it loadable from any origin (tests too).
export default defineConfig({
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  test: { environment: 'node' },
});

// A facture as the admin downloads it from the desktop app's link: the relay's signed URL,
// opened in the browser, gives the Factur-X PDF (saved as a download by headless Chromium, or
// shown by its viewer), named after its number.
// Usage: node facture.mjs <pdf url> <number>
import { launch, check, shots } from './browser.mjs';
import { readFileSync } from 'node:fs';

const [url, number] = process.argv.slice(2);
const browser = await launch();
try {
  const context = await browser.newContext({ acceptDownloads: true, locale: 'fr-FR' });
  const page = await context.newPage();
  const downloaded = page.waitForEvent('download', { timeout: 15000 }).catch(() => null);
  const response = await page.goto(url).catch(() => null);
  const download = await downloaded;
  let bytes;
  if (download) {
    const path = `${shots}/${number}.pdf`;
    await download.saveAs(path);
    check(download.suggestedFilename() === `${number}.pdf`, `file name ${download.suggestedFilename()}`);
    bytes = readFileSync(path);
  } else {
    check(response && response.headers()['content-type'] === 'application/pdf', 'a PDF answer');
    // Chromium's viewer shows it: the screenshot is what the admin sees; the bytes come again.
    await page.waitForTimeout(1500);
    await page.screenshot({ path: `${shots}/${number}.png` });
    bytes = await (await context.request.get(url)).body();
  }
  check(bytes.subarray(0, 5).toString() === '%PDF-', 'the body is a PDF');
  console.log(`facture ok: ${number}, ${bytes.length} bytes`);
} finally {
  await browser.close();
}

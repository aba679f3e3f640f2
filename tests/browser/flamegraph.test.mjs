// The flamegraph SVG as a user meets it: opened from disk in a real browser, hovered, clicked,
// searched. The file is `waitprof flamegraph` of the fixture profile
// (tests/unit/flamegraph/fixture_profile.h), whose every value is known:
//   main;serve;handle_request;tsrv::LockedRng::next_index();std::mutex::lock();futex_wait  3 s
//   main;serve;handle_request;render_json                                                 1 s
//   main;serve;accept_loop;epoll_wait                                                  0.75 s
//   main;serve;accept_loop;tiny_frame                                                    1 µs
//   main;tsrv::Worker<std::map<int, int>>::run() &&                                    0.25 s
// run.sh sets FLAMEGRAPH_SVG and CHROMIUM.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, beforeEach, afterEach, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const svgPath = process.env.FLAMEGRAPH_SVG;
const WIDTH = 1180; // the frames' full width: 1200 px less 10 px on each side
const WORKER = 'tsrv::Worker<std::map<int, int>>::run() &&';

let browser;
let page;
let pageErrors;

before(async () => {
  assert.ok(svgPath, 'FLAMEGRAPH_SVG is not set: run through run.sh');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox'], // we run as root
  });
});
after(async () => {
  if (browser) await browser.close();
});

beforeEach(async () => {
  page = await browser.newPage({ viewport: { width: 1200, height: 400 } });
  pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(pathToFileURL(svgPath).href);
});
afterEach(async (t) => {
  // A script error would leave the page looking fine and dead to clicks.
  assert.deepEqual(pageErrors, [], 'script errors in the SVG');
  await page.close();
});

// What the page shows of the frame called `name`, or null when there is none.
function frame(name) {
  return page.evaluate((name) => {
    const frames = [...document.querySelectorAll('g.f')];
    const g = frames.find((f) => {
      const t = f.querySelector('title').textContent;
      return t.slice(0, t.lastIndexOf('\n')) === name;
    });
    if (!g) return null;
    const rect = g.querySelector('rect');
    const box = rect.getBoundingClientRect();
    return {
      index: frames.indexOf(g),
      x: Number(rect.getAttribute('x')),
      width: Number(rect.getAttribute('width')),
      visible: getComputedStyle(g).display !== 'none' && box.width > 0,
      faded: Number(getComputedStyle(g).opacity) < 1,
      fill: getComputedStyle(rect).fill,
      label: g.querySelector('text').textContent,
    };
  }, name);
}

async function locate(name) {
  const f = await frame(name);
  assert.ok(f, `no frame ${name}`);
  return page.locator('g.f').nth(f.index);
}

const text = (selector) => page.locator(selector).textContent();
const near = (actual, expected, what) =>
  assert.ok(Math.abs(actual - expected) < 0.02, `${what}: ${actual}, expected ${expected}`);
const MAGENTA = 'rgb(230, 0, 230)';

test('title and total come from the profile', async () => {
  assert.equal(await text('#title'), 'lock: delay');
  assert.equal(await page.title(), 'lock: delay');
  const subtitle = await text('#subtitle');
  assert.match(subtitle, /^Total delay: 5\.00 s /);
  assert.match(subtitle, /lock\.pb\.gz$/);
  // Every frame but the 1 µs one, which is far narrower than a pixel.
  assert.equal(await page.locator('g.f').count(), 11);
  assert.equal(await frame('tiny_frame'), null);
  const all = await frame('all');
  near(all.width, WIDTH, 'root width');
  try {
    // For a person to look at when something seems off (not part of the verdict).
    await page.screenshot({
      path: path.join(path.dirname(svgPath), 'lock.png'), animations: 'allow', caret: 'initial',
    });
  } catch (e) {
    console.log(`screenshot failed: ${e.message.split('\n')[0]}`);
  }
});

test('hovering a frame shows its name, value with unit and share', async () => {
  assert.equal((await text('#details')).trim(), '');
  await (await locate('tsrv::LockedRng::next_index()')).hover();
  assert.equal(await text('#details'), 'tsrv::LockedRng::next_index() \u2014 3.00 s (60.0%)');
  // A C++ name full of XML's special characters comes back intact.
  await (await locate(WORKER)).hover();
  assert.equal(await text('#details'), `${WORKER} \u2014 250.0 ms (5.0%)`);
  await (await locate('handle_request')).hover();
  assert.equal(await text('#details'), 'handle_request \u2014 4.00 s (80.0%)');
  await page.mouse.move(600, 5); // off every frame
  assert.equal((await text('#details')).trim(), '');
});

test('clicking a frame zooms into it and reset restores the whole graph', async () => {
  const before = {
    handle: await frame('handle_request'),
    render: await frame('render_json'),
    next: await frame('tsrv::LockedRng::next_index()'),
  };
  near(before.handle.width, (4 / 5.000001) * WIDTH, 'handle_request before zoom');
  near(before.render.width, (1 / 5.000001) * WIDTH, 'render_json before zoom');
  assert.equal(await page.locator('#unzoom').isVisible(), false);

  await (await locate('handle_request')).click();
  const zoomed = await frame('handle_request');
  near(zoomed.x, 10, 'zoomed frame x');
  near(zoomed.width, WIDTH, 'zoomed frame width');
  // Its children widen in proportion: 1 s and 3 s of 4 s.
  near((await frame('render_json')).width, WIDTH / 4, 'render_json zoomed');
  near((await frame('tsrv::LockedRng::next_index()')).width, (WIDTH * 3) / 4, 'next_index zoomed');
  near((await frame('futex_wait')).width, (WIDTH * 3) / 4, 'futex_wait zoomed');
  // Its sibling and everything outside it are gone; its callers stay, faded, full width.
  assert.equal((await frame('accept_loop')).visible, false);
  assert.equal((await frame('epoll_wait')).visible, false);
  assert.equal((await frame(WORKER)).visible, false);
  const serve = await frame('serve');
  assert.equal(serve.visible, true);
  assert.equal(serve.faded, true);
  near(serve.width, WIDTH, 'caller width');
  assert.equal(await page.locator('#unzoom').isVisible(), true);

  await page.locator('#unzoom').click();
  const reset = {
    handle: await frame('handle_request'),
    render: await frame('render_json'),
    next: await frame('tsrv::LockedRng::next_index()'),
  };
  for (const key of Object.keys(before)) {
    near(reset[key].x, before[key].x, `${key} x after reset`);
    near(reset[key].width, before[key].width, `${key} width after reset`);
    assert.equal(reset[key].label, before[key].label);
  }
  assert.equal((await frame('accept_loop')).visible, true);
  assert.equal((await frame('serve')).faded, false);
  assert.equal(await page.locator('#unzoom').isVisible(), false);

  // Zooming into a narrow frame brings its cut label back whole; Escape resets too.
  assert.equal((await frame(WORKER)).label, 'tsrv:..');
  await (await locate(WORKER)).click();
  assert.equal((await frame(WORKER)).label, WORKER);
  await page.keyboard.press('Escape');
  near((await frame('handle_request')).width, before.handle.width, 'after Escape');
});

test('search highlights matching frames and reports their share', async () => {
  await page.keyboard.press('Control+f');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'search');
  await page.keyboard.type('json');
  assert.equal((await frame('render_json')).fill, MAGENTA);
  assert.notEqual((await frame('handle_request')).fill, MAGENTA);
  assert.equal(await text('#matched'), 'Matched: 1.00 s (20.0%)');

  // Case-insensitive: "lock" matches std::mutex::lock() and tsrv::LockedRng::next_index(),
  // one on top of the other: their 3 s count once.
  await page.locator('#search').fill('lock');
  assert.equal((await frame('std::mutex::lock()')).fill, MAGENTA);
  assert.equal((await frame('tsrv::LockedRng::next_index()')).fill, MAGENTA);
  assert.notEqual((await frame('render_json')).fill, MAGENTA);
  assert.equal(await text('#matched'), 'Matched: 3.00 s (60.0%)');

  await page.locator('#search').fill('/^tsrv::/');
  assert.equal((await frame(WORKER)).fill, MAGENTA);
  assert.equal(await text('#matched'), 'Matched: 3.25 s (65.0%)');

  await page.locator('#search').fill('no such frame');
  assert.equal(await text('#matched'), 'No match');

  await page.locator('#search').fill('json');
  await page.keyboard.press('Escape');
  // (Playwright's inputValue() wants an upper-case INPUT, which an XML document never has.)
  assert.equal(await page.evaluate(() => document.getElementById('search').value), '');
  assert.notEqual((await frame('render_json')).fill, MAGENTA);
  assert.equal((await text('#matched')).trim(), '');
});

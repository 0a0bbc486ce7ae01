// webui: serves the mining dashboard and GET /json = {coins, hashes, now}.
// Everything it needs is in this image: the page draws its own chart, no CDN.
'use strict';
const path = require('path');
const express = require('express');
const { createClient } = require('redis');

const REDIS_URL = process.env.REDIS_URL || 'redis://redis:6379';
const PORT = Number(process.env.PORT || 80);

const store = createClient({ url: REDIS_URL });
store.on('error', (error) => console.error(`redis: ${error.message}`));

async function connectForever() {
  // redis may not resolve yet when the service starts; keep trying, like the worker does.
  for (;;) {
    try {
      await store.connect();
      console.log(`connected to ${REDIS_URL}`);
      return;
    } catch (error) {
      console.error(`cannot reach ${REDIS_URL} (${error.message}); retrying in 2 s`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

const app = express();

app.get('/json', async (req, res) => {
  try {
    const [coins, hashes] = await Promise.all([store.hLen('wallet'), store.get('hashes')]);
    res.json({ coins: Number(coins), hashes: Number(hashes || 0), now: Date.now() / 1000 });
  } catch (error) {
    res.status(503).json({ error: `redis unavailable: ${error.message}` });
  }
});

app.use(express.static(path.join(__dirname, 'files')));

app.listen(PORT, '0.0.0.0', () => console.log(`webui listening on port ${PORT}`));
connectForever();

// PID 1 ignores SIGTERM unless it asks for it: stop at once on docker stop.
process.on('SIGTERM', () => process.exit(0));

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import './styles.css';
import { captureTokenFromUrl } from './lib/auth-token';

// A sign-in link (/app/#token=…): keep the token for this session and drop it from the address bar.
captureTokenFromUrl();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

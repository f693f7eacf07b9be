import { api, ApiError, session } from '../api/client';
import { CheckField, Form, SubmitButton, TextField } from '../components/form';
import { Icon } from '../components/icons';

/** Sign-in with the admin token; the token is checked against the API before it is kept. */
export function SignIn() {
  return (
    <div className="signin">
      <div className="signin-card">
        <div className="signin-brand">
          <span className="brand-mark" aria-hidden>
            <Icon name="shield" />
          </span>
          <span className="brand-name">Tollgate</span>
        </div>
        <h1>Sign in to the admin panel</h1>
        <p className="muted">Use the gateway's admin token. It was printed when the gateway first started, or set as ADMIN_TOKEN.</p>
        <Form
          className="stack"
          onSubmit={async (data) => {
            const token = String(data.get('token') ?? '').trim();
            if (!token) throw new ApiError(400, 'Enter the admin token.', 'token', null);
            try {
              await api('GET', '/plans', undefined, token);
            } catch (err) {
              if (err instanceof ApiError && err.status === 401) throw new ApiError(401, 'That token was not accepted. Check it and try again.', 'token', null);
              throw err;
            }
            session.signIn(token, data.get('remember') === 'on');
          }}
        >
          <TextField name="token" label="Admin token" type="password" autoComplete="current-password" autoFocus placeholder="Paste your admin token" />
          <CheckField name="remember" label="Keep me signed in on this device" />
          <SubmitButton>Sign in</SubmitButton>
        </Form>
      </div>
      <p className="signin-foot">Every action here goes through the documented admin API at /admin/api.</p>
    </div>
  );
}

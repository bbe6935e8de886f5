/**
 * The pages' only stylesheet and only script, served from Gatehouse's own origin so the CSP
 * needs no 'unsafe-inline' (docs/sign-in.md#pages). The script only submits the form_post
 * response form; without JavaScript its button does the same.
 */
export const SIGN_IN_CSS = `
:root{color-scheme:light dark;--primary:#1a56db;--bg:#f3f4f6;--card:#fff;--text:#1b1f24;--muted:#475467;--border:#d0d5dd;--field:#667085;--link:var(--primary);--focus:var(--primary);--error-text:#b42318;--error-bg:#fef3f2;--error-border:#fda29b;--warn-bg:#fffaeb;--warn-border:#b54708}
@media (prefers-color-scheme:dark){:root{--bg:#0f1217;--card:#1a1e25;--text:#e7e9ed;--muted:#aab2bf;--border:#39404c;--field:#8b94a3;--link:#9cc3ff;--focus:#9cc3ff;--error-text:#ffb4ab;--error-bg:#3b1613;--error-border:#8c3128;--warn-bg:#33260c;--warn-border:#f0a43a}}
*,*::before,*::after{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:16px;line-height:1.5;color:var(--text);background:var(--bg)}
body{margin:0;min-height:100vh;display:flex;flex-direction:column;align-items:center}
header.brand{margin:2rem 0 1rem;font-weight:600;font-size:1.125rem}
header.brand img{max-height:48px;max-width:200px;display:block}
main{width:calc(100% - 2rem);max-width:26rem;background:var(--card);border:1px solid var(--border);border-radius:12px;padding:2rem 1.5rem;margin:0 1rem}
h1{font-size:1.5rem;margin:0 0 .5rem}
p{margin:.5rem 0 1rem}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input[type=email],input[type=password],input[type=text]{width:100%;padding:.625rem .75rem;font-size:1rem;border:1px solid var(--field);border-radius:8px;color:var(--text);background:var(--card)}
input[readonly]{background:var(--bg)}
input[type=checkbox]{width:1.125rem;height:1.125rem;margin:0 .5rem 0 0;vertical-align:-.15rem}
label.check{font-weight:400;display:flex;align-items:flex-start}
input:focus-visible,button:focus-visible,a:focus-visible,summary:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
button{display:inline-block;margin-top:1.25rem;padding:.625rem 1rem;font-size:1rem;font-weight:600;border-radius:8px;border:1px solid var(--primary);background:var(--primary);color:#fff;cursor:pointer;width:100%}
button.secondary{background:var(--card);color:var(--link);border-color:var(--field)}
.actions{display:flex;gap:.75rem}
.actions form{flex:1}
.error{color:var(--error-text);background:var(--error-bg);border:1px solid var(--error-border);border-radius:8px;padding:.5rem .75rem}
.muted{color:var(--muted);font-size:.875rem}
.redirect-host{font-size:1.125rem;font-weight:600}
.warning{border-left:4px solid var(--warn-border);background:var(--warn-bg);padding:.5rem .75rem}
ul.scopes{padding-left:1.25rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem .75rem;font-size:.875rem}
dt{font-weight:600}dd{margin:0;word-break:break-all}
a{color:var(--link)}
.links{display:flex;justify-content:space-between;gap:1rem;flex-wrap:wrap;margin-top:1rem;font-size:.875rem}
summary{cursor:pointer;color:var(--link);margin-top:1rem}
.qr{display:block;margin:1rem auto;width:200px;height:200px;background:#fff;padding:8px;border-radius:8px}
code.secret,ul.codes{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9375rem;word-break:break-all}
ul.codes{columns:2;list-style:none;padding:0}
footer{margin:1.5rem 0;color:var(--muted);font-size:.875rem}
.logo{max-height:48px;max-width:160px}
`;

export const FORM_POST_JS = `document.addEventListener('DOMContentLoaded',function(){var f=document.getElementById('form-post');if(f)f.submit();});`;

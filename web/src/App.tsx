import { useEffect, useMemo, useState } from "react";
import { apiFor, demoLogins, type Role, type Session } from "./api";
import { useLoad } from "./common";
import { FacilityDetail, FacilityList } from "./Facility";
import { LangContext, translate, type Lang } from "./i18n";
import { Regulator } from "./Roles";
import { Borrower, Supplier } from "./Parties";
import { Fiscal } from "./Settlement";

const ROLES: Role[] = ["bank_officer", "regulator", "borrower", "supplier", "fiscal"];

function useHash(): [string, (h: string) => void] {
  const [hash, setHash] = useState(window.location.hash.slice(1));
  useEffect(() => {
    const on = () => setHash(window.location.hash.slice(1));
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return [hash, (h: string) => (window.location.hash = h)];
}

function Login({ lang, onLogin }: { lang: Lang; onLogin: (s: Session) => void }) {
  const t = (k: Parameters<typeof translate>[1]) => translate(lang, k);
  const logins = useLoad(() => demoLogins().catch(() => [] as Session[]), []);
  const [role, setRole] = useState<Role>("bank_officer");
  const [key, setKey] = useState("");
  const [regulatorKey, setRegulatorKey] = useState("");
  return (
    <div className="login" data-testid="login">
      <section className="card">
        <h2>{t("demoLogins")}</h2>
        <div className="buttons">
          {(logins.data ?? []).map((l) => (
            <button key={l.role + l.label} data-testid={`login-${l.role}`} onClick={() => onLogin(l)}>
              {translate(lang, l.role)} · {l.label}
            </button>
          ))}
        </div>
      </section>
      <section className="card">
        <h2>{t("pasteKey")}</h2>
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            if (key.trim())
              onLogin({ role, label: role, bankKey: key.trim(), regulatorKey: regulatorKey.trim() || undefined });
          }}
        >
          <label>
            {t("role")}
            <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {translate(lang, r)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t("apiKey")}
            <input data-testid="api-key" value={key} onChange={(e) => setKey(e.target.value)} placeholder="qfm_…" />
          </label>
          {role === "regulator" && (
            <label>
              {t("regulatorKey")}
              <input value={regulatorKey} onChange={(e) => setRegulatorKey(e.target.value)} placeholder="qfm_…" />
            </label>
          )}
          <button type="submit">{t("login")}</button>
        </form>
      </section>
    </div>
  );
}

export function App() {
  const [lang, setLang] = useState<Lang>(() => (localStorage.getItem("qfm.lang") as Lang) || "zh");
  const [session, setSession] = useState<Session | null>(() => {
    const saved = sessionStorage.getItem("qfm.session");
    return saved ? (JSON.parse(saved) as Session) : null;
  });
  const [hash, go] = useHash();
  const api = useMemo(() => (session ? apiFor(session) : null), [session]);
  useEffect(() => {
    localStorage.setItem("qfm.lang", lang);
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  }, [lang]);
  const login = (s: Session) => {
    sessionStorage.setItem("qfm.session", JSON.stringify(s));
    setSession(s);
    go("/");
  };
  const logout = () => {
    sessionStorage.removeItem("qfm.session");
    setSession(null);
    go("/");
  };
  const facilityMatch = /^\/facility\/(\d+)$/.exec(hash);
  let page: React.ReactNode = null;
  if (session && api) {
    if (facilityMatch && (session.role === "bank_officer" || session.role === "regulator"))
      page = <FacilityDetail api={api} id={facilityMatch[1]} role={session.role} onBack={() => go("/")} />;
    else if (session.role === "bank_officer") page = <FacilityList api={api} onOpen={(id) => go(`/facility/${id}`)} />;
    else if (session.role === "regulator") page = <Regulator api={api} onOpen={(id) => go(`/facility/${id}`)} />;
    else if (session.role === "borrower") page = <Borrower api={api} signerKey={session.signerKey} />;
    else if (session.role === "fiscal") page = <Fiscal api={api} signerKey={session.signerKey} />;
    else page = <Supplier api={api} />;
  }
  return (
    <LangContext.Provider value={lang}>
      <header>
        <h1>{translate(lang, "title")}</h1>
        <div className="spacer" />
        {session && (
          <span className="who" data-testid="who">
            {translate(lang, session.role)} · {session.label}
          </span>
        )}
        <button data-testid="lang-switch" onClick={() => setLang(lang === "zh" ? "en" : "zh")}>
          {lang === "zh" ? "English" : "中文"}
        </button>
        {session && <button onClick={logout}>{translate(lang, "logout")}</button>}
      </header>
      <main key={session?.bankKey ?? "none"}>{session ? page : <Login lang={lang} onLogin={login} />}</main>
    </LangContext.Provider>
  );
}

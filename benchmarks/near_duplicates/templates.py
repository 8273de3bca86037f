"""Synthetic site templates: other sites' page furniture around an article."""

from __future__ import annotations

import html
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class SiteTemplate:
    """Another site's page furniture around an article: nav, header, sidebar, footer, related."""

    host: str
    page: str
    """``str.format`` text with title, url, date, author, body, related, popular, breaking."""
    paragraph: str = "<p>{}</p>"
    ad_after: int | None = None
    """Insert an ad slot after this many paragraphs."""

    def render(
        self,
        title: str,
        body: Sequence[str],
        number: int,
        rng: random.Random,
        headlines: Sequence[str],
    ) -> tuple[str, str]:
        """The page's HTML and its URL."""
        url = f"https://{self.host}/news/{number:05d}"
        parts = [self.paragraph.format(html.escape(p)) for p in body]
        if self.ad_after is not None and len(parts) > self.ad_after:
            parts.insert(self.ad_after, '<div class="publicidad">Publicidad</div>')
        picked = rng.sample(list(headlines), 9)
        page = self.page.format(
            title=html.escape(title),
            url=url,
            date=(date(2022, 1, 1) + timedelta(days=rng.randrange(730))).isoformat(),
            author=rng.choice(AUTHORS),
            body="\n".join(parts),
            related="".join(
                f'<li><a href="/n/{i}">{html.escape(t)}</a></li>' for i, t in enumerate(picked[:4])
            ),
            popular="".join(
                f'<li><a href="/p/{i}">{html.escape(t)}</a></li>' for i, t in enumerate(picked[4:8])
            ),
            breaking=html.escape(picked[8]),
        )
        return page, url


AUTHORS = (
    "Anna Berger",
    "Luis Ortega",
    "Claire Martin",
    "James O'Neill",
    "Redaktion",
    "Marta Kowalska",
    "Peter Lang",
    "Sofía Ramírez",
)

NEWSWIRE = SiteTemplate(
    "newsroom.globewire.example",
    """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{title} | GlobeWire Newsroom</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="canonical" href="{url}">
<script>window.dataLayer = window.dataLayer || [];</script>
</head><body>
<a class="skip" href="#main">Skip to main content</a>
<header class="site-header"><div class="brand"><a href="/">GlobeWire Newsroom</a></div>
<nav class="main-nav"><ul><li><a href="/news">News</a></li><li><a href="/business">Business</a></li>
<li><a href="/technology">Technology</a></li><li><a href="/health">Health</a></li>
<li><a href="/events">Events</a></li><li><a href="/submit">Submit a release</a></li></ul></nav>
<form class="search" action="/search"><input name="q" placeholder="Search press releases">
<button>Search</button></form></header>
<div class="cookie-notice"><p>We use cookies to personalise content and to analyse our traffic.
By continuing to use this site you agree to our use of cookies.</p><button>Accept all</button></div>
<main id="main"><article class="release">
<h1>{title}</h1>
<p class="meta">Published {date} by {author} · 4 min read</p>
<div class="release-body">
{body}
</div>
<div class="share">Share this release: <a href="#">Facebook</a> <a href="#">X</a>
<a href="#">LinkedIn</a> <a href="#">Email</a></div>
<p class="disclaimer">The issuer is solely responsible for the content of this announcement.
GlobeWire does not verify press releases before publication.</p>
</article>
<aside class="sidebar"><h2>Related releases</h2><ul>{related}</ul>
<h2>Most read this week</h2><ol>{popular}</ol>
<div class="newsletter"><h2>Newsletter</h2><p>Get the day's most important press releases
delivered to your inbox every morning, free of charge.</p>
<input placeholder="Your email address"><button>Subscribe</button></div>
<p class="breaking">Breaking: <a href="/b">{breaking}</a></p></aside>
</main>
<footer class="site-footer"><ul><li><a href="/about">About GlobeWire</a></li>
<li><a href="/contact">Contact</a></li><li><a href="/privacy">Privacy policy</a></li>
<li><a href="/terms">Terms of use</a></li></ul>
<p>GlobeWire distributes news releases for companies, public bodies and non-profit
organisations in more than 40 countries.</p>
<p>© 2024 GlobeWire Ltd. All rights reserved.</p></footer>
</body></html>""",
)

ASSOCIATION = SiteTemplate(
    "presse.landesverband.example",
    """<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{title} - Presseportal Landesverband</title>
<link rel="canonical" href="{url}">
</head><body bgcolor="#ffffff">
<div id="kopf"><img src="/img/logo.gif" alt="Landesverband">
<div class="claim">Der Landesverband – Ihre Stimme im Land</div></div>
<div class="topmenu"><a href="/">Startseite</a> | <a href="/verband">Über uns</a> |
<a href="/presse">Presse</a> | <a href="/termine">Termine</a> | <a href="/mitglieder">Mitglieder</a>
| <a href="/kontakt">Kontakt</a></div>
<div class="breadcrumb">Sie befinden sich hier: <a href="/">Startseite</a> &raquo;
<a href="/presse">Presse</a> &raquo; Pressemitteilungen</div>
<table width="100%" cellpadding="0" cellspacing="0"><tr>
<td class="spalte-links" width="200" valign="top">
<div class="kasten"><b>Aktuelle Termine</b><br>12.03. Mitgliederversammlung<br>
24.04. Fachtagung Nachhaltigkeit<br>08.05. Parlamentarischer Abend</div>
<div class="kasten"><b>Newsletter</b><br>Melden Sie sich für unseren Newsletter an und erhalten
Sie alle Pressemitteilungen direkt in Ihr Postfach.<br>
<a href="/newsletter">Jetzt anmelden</a></div>
<div class="kasten"><b>Letzte Meldung</b><br><a href="/b">{breaking}</a></div>
</td><td class="inhalt" valign="top">
<div class="datum">Pressemitteilung vom {date}</div>
<h2 class="titel">{title}</h2>
{body}
<div class="pressekontakt"><b>Pressekontakt:</b><br>Landesverband e.V., Referat Presse- und
Öffentlichkeitsarbeit<br>Telefon 030 1234567 · presse@landesverband.example</div>
<div class="zurueck"><a href="/presse">&laquo; zurück zur Übersicht</a> |
<a href="javascript:print()">Seite drucken</a></div>
<div class="weitere"><b>Weitere Pressemitteilungen</b><ul>{related}</ul></div>
<div class="beliebt"><b>Meistgelesen</b><ul>{popular}</ul></div>
</td></tr></table>
<div class="fuss">Landesverband e.V. · Musterstraße 12 · 10115 Berlin · {author} ·
<a href="/impressum">Impressum</a> · <a href="/datenschutz">Datenschutz</a> ·
<a href="/barrierefreiheit">Barrierefreiheit</a></div>
</body></html>""",
)

BLOG = SiteTemplate(
    "carnet-communiques.example",
    """<!DOCTYPE html>
<html lang="fr-FR"><head><meta charset="UTF-8">
<title>{title} – Le Carnet des communiqués</title>
<link rel="canonical" href="{url}">
<meta property="og:site_name" content="Le Carnet des communiqués">
</head><body class="post-template-default single single-post">
<div id="page" class="site">
<div id="masthead" class="site-header"><p class="site-title"><a href="/">Le Carnet des
communiqués</a></p><p class="site-description">Communiqués, annonces et nouvelles des
associations</p>
<div class="menu-principal"><ul id="menu-1" class="menu"><li><a href="/">Accueil</a></li>
<li><a href="/category/actualites/">Actualités</a></li><li><a href="/category/culture/">Culture</a>
</li><li><a href="/category/economie/">Économie</a></li><li><a href="/a-propos/">À propos</a></li>
</ul></div></div>
<div id="content" class="site-content"><div id="primary" class="content-area">
<div class="post type-post status-publish hentry">
<div class="entry-header"><h1 class="entry-title">{title}</h1>
<div class="entry-meta">Publié le {date} par {author}</div></div>
<div class="entry-content">
{body}
</div>
<div class="entry-footer">Catégorie : Actualités · <a href="#respond">Laisser un commentaire</a>
</div></div>
<div class="jp-relatedposts"><h3>Articles similaires</h3><ul>{related}</ul></div>
<div class="author-box"><p>{author} écrit pour le Carnet depuis 2015 et couvre la vie
associative, la culture et l'économie locale de la région pour nos lecteurs.</p></div>
<div id="comments" class="comments-area"><div id="respond"><h3>Laisser un commentaire</h3>
<p>Votre adresse e-mail ne sera pas publiée. Les champs obligatoires sont indiqués avec *</p>
<textarea name="comment"></textarea><p>Enregistrer mon nom, mon e-mail et mon site dans le
navigateur pour mon prochain commentaire.</p></div></div>
</div>
<div id="secondary" class="widget-area"><div class="widget"><h2>Articles récents</h2>
<ul>{popular}</ul></div><div class="widget"><h2>À la une</h2><p>{breaking}</p></div>
<div class="widget"><h2>Catégories</h2><ul><li>Actualités</li><li>Culture</li><li>Économie</li>
<li>Sport</li></ul></div><div class="widget"><h2>Archives</h2><ul><li>mars 2024</li>
<li>février 2024</li><li>janvier 2024</li></ul></div></div>
</div>
<div id="colophon" class="site-footer"><div class="site-info">Fièrement propulsé par WordPress |
Thème : Carnet par Studio Exemple.</div></div>
</div></body></html>""",
)

PORTAL = SiteTemplate(
    "diarioregional.example",
    """<!DOCTYPE html>
<html lang="es"><head><meta charset="utf-8">
<title>{title} - Diario Regional Digital</title>
<link rel="canonical" href="{url}"><meta name="author" content="{author}">
</head><body>
<div class="barra-superior">{date} | <a href="/login">Iniciar sesión</a> |
<a href="/suscripcion">Suscríbete</a></div>
<div class="ultima-hora"><span>Última hora:</span> <a href="/b">{breaking}</a></div>
<div class="cabecera"><a class="logo" href="/">Diario Regional Digital</a>
<ul class="secciones"><li><a href="/">Portada</a></li><li><a href="/nacional">Nacional</a></li>
<li><a href="/internacional">Internacional</a></li><li><a href="/economia">Economía</a></li>
<li><a href="/deportes">Deportes</a></li><li><a href="/cultura">Cultura</a></li>
<li><a href="/opinion">Opinión</a></li></ul></div>
<div class="contenedor"><div class="columna-principal"><div class="noticia">
<h1>{title}</h1>
<div class="firma">Por {author} | {date}</div>
<div class="cuerpo">
{body}
</div>
<div class="etiquetas">Etiquetas: <a href="/t/1">noticias</a> <a href="/t/2">región</a>
<a href="/t/3">actualidad</a></div>
<div class="aviso">Queda prohibida la reproducción total o parcial de este contenido sin
autorización expresa del Diario Regional Digital.</div>
</div>
<div class="relacionadas"><h3>Noticias relacionadas</h3><ul>{related}</ul></div></div>
<div class="columna-lateral"><h3>Lo más leído</h3><ol>{popular}</ol>
<div class="boletin"><p>Recibe cada mañana en tu correo las noticias más importantes del día
con nuestro boletín gratuito.</p></div></div></div>
<div class="pie"><p>Diario Regional Digital · Avenida Central 123, San José · Teléfono
(506) 2222-0000</p><p>© 2024 Diario Regional Digital. Todos los derechos reservados.</p></div>
</body></html>""",
    ad_after=3,
)

TEMPLATES = (NEWSWIRE, ASSOCIATION, BLOG, PORTAL)

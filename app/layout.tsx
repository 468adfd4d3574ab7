import type { Metadata } from "next";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Whop Connector", template: "%s · Whop Connector" },
  description: "Sell through your own Whop company with shareable checkout links.",
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen font-sans">{children}</body>
    </html>
  );
}

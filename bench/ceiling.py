from flask import Flask

app = Flask(__name__)
app.add_url_rule("/", "index", lambda: "Hello, World!")

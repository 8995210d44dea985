from django.urls import path

from . import views_ai as v

urlpatterns = [
    path("", v.models_page, name="bo-ai"),
    path("models/<int:version_id>/", v.model_detail, name="bo-ai-model"),
    path("models/<int:version_id>/confusion.png", v.model_confusion, name="bo-ai-confusion"),
    path("models/<int:version_id>/activate/", v.activate, name="bo-ai-activate"),
    path("rollback/", v.rollback, name="bo-ai-rollback"),
    path("thresholds/", v.threshold, name="bo-ai-threshold"),
    path("train/", v.train, name="bo-ai-train"),
    path("runs/<int:run_id>/", v.run_page, name="bo-ai-run"),
    path("suggestions/", v.suggestions, name="bo-ai-suggestions"),
]
